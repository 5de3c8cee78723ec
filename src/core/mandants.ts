/** Which mandants the config names, and which of Immotop 2's mandants let units. Pure. */

/** immotop.mandant as a list, or "all". */
export function configuredMandants(mandant: number | number[] | 'all'): number[] | 'all' {
  return mandant === 'all' ? 'all' : typeof mandant === 'number' ? [mandant] : mandant
}

/** Whether a mandant is of a letting type (W&W's mandanttypcode, among immotop.mandantTypes). */
export function isLettingMandant(mandant: {mandanttypcode: string}, types: string[]): boolean {
  return types.includes(mandant.mandanttypcode.trim().toUpperCase())
}
