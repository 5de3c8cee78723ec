import {UsageError} from '../errors.js'

/** A unit in Immotop 2: mandant number, Liegenschaft number and Objekt number, e.g. `1.10001.1012`. */
export interface UnitRef {
  mandant: number
  liegenschaft: number
  objekt: number
}

const PART = /^[1-9]\d{0,8}$/

/**
 * Parses `<mandant>.<liegenschaft>.<objekt>`. Two parts (`10001.1012`) take the
 * configured mandant.
 */
export function parseUnitRef(text: string, defaultMandant?: number): UnitRef {
  const parts = text.trim().split('.')
  if (parts.length === 2 && parts.every((p) => PART.test(p)) && defaultMandant === undefined) {
    throw new UsageError(
      'MANDANT_NEEDED',
      `"${text}" names no mandant, and immotop.mandant names more than one.`,
      `Write it as <mandant>.<liegenschaft>.<objekt>, for example 1.${text.trim()}, or pass --mandant.`,
    )
  }
  if (parts.length === 2 && defaultMandant !== undefined) parts.unshift(String(defaultMandant))
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) {
    throw new UsageError(
      'BAD_UNIT_REF',
      `"${text}" is not a unit reference.`,
      'Write it as <mandant>.<liegenschaft>.<objekt>, for example 1.10001.1012.',
    )
  }
  const [mandant, liegenschaft, objekt] = parts.map(Number) as [number, number, number]
  return {mandant, liegenschaft, objekt}
}

export function formatUnitRef(ref: UnitRef): string {
  return `${ref.mandant}.${ref.liegenschaft}.${ref.objekt}`
}

/** Tenant and document ids go into URLs and file names: allow only a safe alphabet. */
export function assertSafeId(kind: string, id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id)) {
    throw new UsageError('BAD_ID', `"${id}" is not a valid ${kind} id.`, `Pass the ${kind} id exactly as \`melon-immotop tenants\` shows it (letters, digits, - and _).`)
  }
  return id
}
