/**
 * W&W's staging-directory control file (`.xml_it2`, W&W's
 * `StagingVerzeichnisse.md`; docs/contracts/immotop2.md). Root element
 * `ControlFile`. What melon-immotop writes carries W&W's elements only:
 * Version, Action, DmsArchivId, DmsDocumentId, DocumentId (empty) and
 * DateiName. Everything else about a document (kind, size, SHA-256, unit) is
 * in the tenant record. Reading accepts every W&W element and ignores others.
 */
import {XMLBuilder, XMLParser} from 'fast-xml-parser'
import {IntegrityError} from '../errors.js'

export type ControlAction = 'NewDocument' | 'SavedDocument' | 'GetDocumenInfos' | 'DownloadDocument' | 'DeleteDocument'
const ACTIONS: ControlAction[] = ['NewDocument', 'SavedDocument', 'GetDocumenInfos', 'DownloadDocument', 'DeleteDocument']

/** A control file as read: every element W&W documents. */
export interface ControlFile {
  version: string
  action: ControlAction
  dmsArchivId: string
  dmsDocumentId: string
  documentId: string
  dateiName: string
  fehlerText: string
}

/** What a DMS writes for W&W's use case 5 (a new document for Immotop 2). */
export interface NewDocumentControl {
  /** The id of the archive configured in Immotop 2 (staging.dmsArchivId); empty when unset. */
  dmsArchivId: string
  /** Our own stable, unique id of the document. */
  dmsDocumentId: string
  /** A speaking file name without personal data, e.g. Betreibungsregisterauszug.pdf. */
  dateiName: string
}

export function buildControlFile(control: NewDocumentControl): string {
  const body = {
    Version: '1.0',
    Action: 'NewDocument',
    DmsArchivId: control.dmsArchivId,
    DmsDocumentId: control.dmsDocumentId,
    // Immotop 2's key of the document: not known yet.
    DocumentId: '',
    DateiName: control.dateiName,
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
    throw new IntegrityError('BAD_CONTROL_FILE', `${source} has an unknown Action "${get('Action').slice(0, 40)}".`, `Action must be one of ${ACTIONS.join(', ')}.`)
  }
  return {
    version: get('Version') || '1.0',
    action,
    dmsArchivId: get('DmsArchivId'),
    dmsDocumentId: get('DmsDocumentId'),
    documentId: get('DocumentId'),
    dateiName: get('DateiName'),
    fehlerText: get('FehlerText'),
  }
}
