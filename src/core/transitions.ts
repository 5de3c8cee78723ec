/**
 * The state machines of a handover and of a contract watch, as tables: the
 * ledger refuses any change that is not listed (a BugError: a step the code
 * should never take), so that the order the recovery rules rely on
 * (ARCHITECTURE.md "Data flow of a handover", "Closing the loop") holds in
 * code, not only in prose. Staying in a state (another status, a retry) is
 * always allowed.
 */

export const HANDOVER_TRANSITIONS = {
  started: ['fetched'],
  // Back to started: interrupted or failed before delivery (the fetched files are removed).
  fetched: ['delivered', 'started'],
  // Back to started: Immotop 2 refused files (FehlerText), or --redeliver after the files were lost.
  delivered: ['picked_up', 'started'],
  picked_up: ['notifying'],
  // Back to picked_up: the mail failed; the next run sends it.
  notifying: ['notified', 'picked_up'],
  notified: [],
} as const satisfies Record<string, readonly string[]>

export const CONTRACT_TRANSITIONS = {
  waiting: ['ambiguous', 'unmatched', 'found', 'closed'],
  ambiguous: ['waiting', 'unmatched', 'found', 'closed'],
  unmatched: ['waiting', 'ambiguous', 'found', 'closed'],
  // found → telling: the intent is recorded before melon is called.
  found: ['telling'],
  telling: ['told'],
  told: ['closed'],
  // An expired watch (closed without a tenancy) can still be confirmed: the ledger checks that it is one.
  closed: ['found'],
} as const satisfies Record<string, readonly string[]>

export type HandoverState = keyof typeof HANDOVER_TRANSITIONS
export type WatchState = keyof typeof CONTRACT_TRANSITIONS

/** Whether `from` → `to` is a transition of the machine (staying included). */
export function isTransition<M extends Record<string, readonly string[]>>(machine: M, from: string, to: string): boolean {
  if (!(from in machine) || !(to in machine)) return false
  return from === to || (machine[from] as readonly string[]).includes(to)
}

/** Every state reachable from `from` (itself included). */
export function reachable<M extends Record<string, readonly string[]>>(machine: M, from: keyof M & string): Set<string> {
  const seen = new Set<string>([from])
  const todo: string[] = [from]
  while (todo.length > 0) {
    for (const next of machine[todo.pop()!] as readonly string[]) {
      if (seen.has(next)) continue
      seen.add(next)
      todo.push(next)
    }
  }
  return seen
}
