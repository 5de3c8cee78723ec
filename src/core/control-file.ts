/**
 * W&W's staging-directory control file (`.xml_it2`), see
 * docs/contracts/immotop2.md. Root element `ControlFile`; elements Version,
 * Action, DmsArchivId, DmsDocumentId, DocumentId, DateiName, FehlerText as
 * documented by W&W, plus the project's extensions Dokumentart, Groesse,
 * Sha256 and ObjektReferenz.
 */
import {XMLBuilder, XMLParser} from 'fast-xml-parser'
import {IntegrityError} from '../errors.js'

export type ControlAction = 'NewDocument' | 'SavedDocument' | 'GetDocumenInfos' | 'DownloadDocument' | 'DeleteDocument'
const ACTIONS: ControlAction[] = ['NewDocument', 'SavedDocument', 'GetDocumenInfos', 'DownloadDocument', 'DeleteDocument']

export interface ControlFile {
  version: string
  action: ControlAction
  dmsArchivId: string
  dmsDocumentId: string
  documentId: string
  dateiName: string
  fehlerText: string
  dokumentart?: string
  groesse?: number
  sha256?: string
  objektReferenz?: string
}

const ORDER: Array<[keyof ControlFile, string]> = [
  ['version', 'Version'],
  ['action', 'Action'],
  ['dmsArchivId', 'DmsArchivId'],
  ['dmsDocumentId', 'DmsDocumentId'],
  ['documentId', 'DocumentId'],
  ['dateiName', 'DateiName'],
  ['fehlerText', 'FehlerText'],
  ['dokumentart', 'Dokumentart'],
  ['groesse', 'Groesse'],
  ['sha256', 'Sha256'],
  ['objektReferenz', 'ObjektReferenz'],
]

export function buildControlFile(control: ControlFile): string {
  const body: Record<string, string> = {}
  for (const [key, element] of ORDER) {
    const value = control[key]
    if (value !== undefined) body[element] = String(value)
  }
  const builder = new XMLBuilder({format: true, suppressEmptyNode: true, processEntities: true})
  return `<?xml version="1.0" encoding="utf-8"?>\n${builder.build({ControlFile: body})}`
}

/** Parses a control file; `source` names the file in errors. */
export function parseControlFile(xml: string, source: string): ControlFile {
  const parser = new XMLParser({parseTagValue: false, trimValues: true, processEntities: true, ignoreDeclaration: true})
  let doc: unknown
  try {
    doc = parser.parse(xml, true)
  } catch (error) {
    throw new IntegrityError('BAD_CONTROL_FILE', `${source} is not well-formed XML: ${(error as Error).message.split('\n')[0]}`, 'Remove the file; the sender has to write it again.')
  }
  const root = (doc as Record<string, unknown>)?.ControlFile
  if (!root || typeof root !== 'object') {
    throw new IntegrityError('BAD_CONTROL_FILE', `${source} has no <ControlFile> root element.`, 'Remove the file; the sender has to write it again.')
  }
  const get = (element: string): string => {
    const value = (root as Record<string, unknown>)[element]
    return value === undefined || value === null ? '' : String(value)
  }
  const action = get('Action') as ControlAction
  if (!ACTIONS.includes(action)) {
    throw new IntegrityError('BAD_CONTROL_FILE', `${source} has an unknown Action "${get('Action')}".`, `Action must be one of ${ACTIONS.join(', ')}.`)
  }
  const groesse = get('Groesse')
  return {
    version: get('Version') || '1.0',
    action,
    dmsArchivId: get('DmsArchivId'),
    dmsDocumentId: get('DmsDocumentId'),
    documentId: get('DocumentId'),
    dateiName: get('DateiName'),
    fehlerText: get('FehlerText'),
    ...(get('Dokumentart') ? {dokumentart: get('Dokumentart')} : {}),
    ...(groesse ? {groesse: Number(groesse)} : {}),
    ...(get('Sha256') ? {sha256: get('Sha256')} : {}),
    ...(get('ObjektReferenz') ? {objektReferenz: get('ObjektReferenz')} : {}),
  }
}
