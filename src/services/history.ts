/**
 * `history`: what was published and handed over, from the ledger alone. Four
 * queries whatever the number of handovers (operations, their files, the
 * events, the contract watches), grouped here.
 */
import type {Ledger} from '../state/ledger.js'
import {contractEntry, type ContractEntry} from './contracts.js'
import {groupBy} from '../core/group-by.js'

export interface HistoryFilter {
  tenant?: string
  unit?: string
  since?: string
  until?: string
}

export interface HandoverHistory {
  tenantId: string
  unitReference: string
  handoverId: string
  status: string
  step: string
  attempts: number
  waitingForPickupSince: string | null
  lastError: {code: string; message: string | null} | null
  createdAt: string
  updatedAt: string
  files: Array<{fileName: string; kind: string; size: number; sha256: string; deliveredAt: string | null; pickedUpAt: string | null; immotopDocumentId: string | null}>
  /** Closing the loop after the pick-up: the contract in Immotop 2, what melon was told, the listing. */
  contract: ContractEntry | null
  /** Handover and contract events, in order. */
  events: Array<{kind: string; step: string; at: string; detail: string | null}>
}

export interface History {
  handovers: HandoverHistory[]
  publications: Array<{reference: string | null; action: string; at: string; detail: string | null}>
}

export function readHistory(ledger: Ledger, filter: HistoryFilter): History {
  const range = {since: filter.since, until: filter.until}
  const operations = ledger.operations({tenant: filter.tenant, unit: filter.unit})
  const files = groupBy(ledger.filesOf(operations.map((op) => op.op_key)), (f) => f.op_key)
  const events = groupBy(
    ledger.events(range).filter((e) => e.op_key !== null && (e.kind === 'handover' || e.kind === 'contract')),
    (e) => e.op_key!,
  )
  const contracts = new Map(ledger.contractRows().map((c) => [c.op_key, contractEntry(c)]))
  const handovers = operations
    .map((op): HandoverHistory => ({
      tenantId: op.tenant_id,
      unitReference: op.unit_ref,
      handoverId: op.handover_id,
      status: op.status,
      step: op.step,
      attempts: op.attempts,
      waitingForPickupSince: op.step === 'delivered' && op.status === 'in_progress' ? op.delivered_at : null,
      lastError: op.last_error_code ? {code: op.last_error_code, message: op.last_error} : null,
      createdAt: op.created_at,
      updatedAt: op.updated_at,
      files: (files.get(op.op_key) ?? []).map((f) => ({fileName: f.file_name, kind: f.kind, size: f.size, sha256: f.sha256, deliveredAt: f.delivered_at, pickedUpAt: f.picked_up_at, immotopDocumentId: f.immotop_document_id})),
      contract: contracts.get(op.op_key) ?? null,
      events: (events.get(op.op_key) ?? []).map((e) => ({kind: e.kind, step: e.step, at: e.at, detail: e.detail})),
    }))
    .filter((h) => !(filter.since || filter.until) || h.events.length > 0)
  const publications = filter.tenant ? [] : ledger.events({...range, kind: 'publish', unit: filter.unit}).map((e) => ({reference: e.reference, action: e.step, at: e.at, detail: e.detail}))
  return {handovers, publications}
}
