/**
 * The sandbox's own reader and writer of W&W's staging control files
 * (`.xml_it2`, root `ControlFile`). Written from W&W's
 * `StagingVerzeichnisse.md`, not shared with the client's
 * src/core/control-file.ts, so that the two sides cannot agree by sharing a
 * mistake (ARCHITECTURE.md rule 7).
 */
import {XMLBuilder, XMLParser} from 'fast-xml-parser'

/** W&W's elements, in W&W's order. */
export const WW_ELEMENTS = ['Version', 'Action', 'DmsArchivId', 'DmsDocumentId', 'DocumentId', 'DateiName', 'RueckgabeVerzeichnis', 'NameExportierteDatei', 'FehlerText'] as const
export type WwElement = (typeof WW_ELEMENTS)[number]
export type WwControl = Partial<Record<WwElement, string>>

/** Reads a control file; throws on anything that is not `<ControlFile>` XML. Unknown elements are returned under `extra`. */
export function readWwControl(xml: string): {control: WwControl; extra: string[]} {
  const doc = new XMLParser({parseTagValue: false, trimValues: true, ignoreDeclaration: true}).parse(xml, true) as Record<string, unknown>
  const root = doc?.ControlFile
  if (root === '' ) return {control: {}, extra: []}
  if (!root || typeof root !== 'object') throw new Error('no <ControlFile> root element')
  const control: WwControl = {}
  const extra: string[] = []
  for (const [name, value] of Object.entries(root as Record<string, unknown>)) {
    if ((WW_ELEMENTS as readonly string[]).includes(name)) control[name as WwElement] = value === null || value === undefined ? '' : String(value)
    else extra.push(name)
  }
  return {control, extra}
}

export function writeWwControl(control: WwControl): string {
  const body: Record<string, string> = {}
  for (const element of WW_ELEMENTS) if (control[element] !== undefined) body[element] = control[element]!
  return `<?xml version="1.0" encoding="utf-8"?>\n${new XMLBuilder({format: true, suppressEmptyNode: true}).build({ControlFile: body})}`
}
