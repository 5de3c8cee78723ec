/**
 * The emulated Immotop 2's staging folder, as W&W's use case 5: pick-up by
 * deleting both files, answers only in "saved" mode, nothing in "off" mode,
 * refusals (FehlerText) for control files that are not W&W's. Written by hand
 * here, so the sandbox is checked without the client's adapter.
 */
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli, spawnSandbox} from '../helpers/cli.js'
import {getJson, testSandboxWith, type TestSandbox} from '../helpers/sandbox.js'

let sb: TestSandbox
beforeAll(async () => {
  sb = await testSandboxWith({immotopPickup: 'consume'})
})
afterAll(() => sb.dispose())

const control = (id: string, name: string, extra = '') =>
  `<?xml version="1.0" encoding="utf-8"?>\n<ControlFile><Version>1.0</Version><Action>NewDocument</Action><DmsArchivId>Archiv1</DmsArchivId><DmsDocumentId>${id}</DmsDocumentId><DocumentId/><DateiName>${name}</DateiName>${extra}</ControlFile>`
const setPickup = (mode: string) => fetch(`${sb.immotop.baseUrl}/_sandbox/pickup`, {method: 'PUT', headers: {'content-type': 'application/json'}, body: JSON.stringify({mode})})
/** Bounded wait for the emulator's 100 ms poll, on a condition, not a clock. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !condition(); i++) await new Promise((r) => setTimeout(r, 20))
  expect(condition()).toBe(true)
}
const stage = (base: string, id: string, extra = '') => {
  writeFileSync(join(sb.incomingDir, `${base}.pdf`), `%PDF- ${base}`)
  writeFileSync(join(sb.incomingDir, `${base}.xml_it2`), control(id, 'Referenz.pdf', extra))
}

describe('the emulated Immotop 2 picks up as W&W documents it', () => {
  it('consume: archives the document, deletes both files, answers nothing', async () => {
    stage('probe-a', 'dms-a')
    await until(() => !existsSync(join(sb.incomingDir, 'probe-a.xml_it2')))
    expect(existsSync(join(sb.incomingDir, 'probe-a.pdf'))).toBe(false)
    expect(readdirSync(sb.ackDir).filter((n) => !n.startsWith('.'))).toEqual([])
    const loose = (await getJson(`${sb.immotop.baseUrl}/_sandbox/handovers`)).handovers.find((h: any) => h.handoverId === null)
    expect(loose.documents.find((d: any) => d.dmsDocumentId === 'dms-a')).toMatchObject({fileName: 'probe-a.pdf', dateiName: 'Referenz.pdf'})
  })

  it('saved: answers SavedDocument with its DocumentId in folder 1, under the same name', async () => {
    await setPickup('saved')
    try {
      stage('probe-b', 'dms-b')
      await until(() => existsSync(join(sb.ackDir, 'probe-b.xml_it2')) && !existsSync(join(sb.incomingDir, 'probe-b.xml_it2')))
      const answer = readFileSync(join(sb.ackDir, 'probe-b.xml_it2'), 'utf8')
      expect(answer).toMatch(/<Action>SavedDocument<\/Action>/)
      expect(answer).toMatch(/<DmsDocumentId>dms-b<\/DmsDocumentId>/)
      expect(answer).toMatch(/<DocumentId>\d+<\/DocumentId>/)
    } finally {
      await setPickup('consume')
    }
  })

  it('refuses a control file with elements that are not W&W\'s, with a FehlerText naming them', async () => {
    stage('probe-c', 'dms-c', '<Sha256>abc</Sha256><Dokumentart>dossier</Dokumentart>')
    await until(() => existsSync(join(sb.ackDir, 'probe-c.xml_it2')))
    expect(readFileSync(join(sb.ackDir, 'probe-c.xml_it2'), 'utf8')).toContain('<FehlerText>Steuerdatei enthält Elemente, die Immotop 2 nicht kennt: Sha256, Dokumentart.</FehlerText>')
  })

  it('off: never picks anything up', async () => {
    await setPickup('off')
    try {
      stage('probe-d', 'dms-d')
      // Two full polls of the folder after staging: a barrier on the emulator's own count, not a clock.
      const {mode, passes} = await getJson(`${sb.immotop.baseUrl}/_sandbox/pickup`)
      expect(mode).toBe('off')
      let now = passes
      for (let i = 0; i < 300 && now < passes + 2; i++) {
        await new Promise((r) => setTimeout(r, 20))
        now = (await getJson(`${sb.immotop.baseUrl}/_sandbox/pickup`)).passes
      }
      expect(now).toBeGreaterThanOrEqual(passes + 2)
      expect(existsSync(join(sb.incomingDir, 'probe-d.xml_it2'))).toBe(true)
      expect(existsSync(join(sb.incomingDir, 'probe-d.pdf'))).toBe(true)
      await setPickup('consume')
      await until(() => !existsSync(join(sb.incomingDir, 'probe-d.xml_it2')))
    } finally {
      await setPickup('consume')
    }
    expect((await setPickup('sometimes')).status).toBe(400)
  })
})

describe('melon-immotop sandbox flags', () => {
  it('--immotop-pickup and --immotop-version are reported and take effect', async () => {
    const {tmpdir} = await import('node:os')
    const dir = mkdtempSync(join(tmpdir(), 'mi-sandbox-flags-'))
    const sandbox = spawnSandbox(['--data-dir', dir, '--write-config', join(dir, 'c.json'), '--immotop-pickup', 'off', '--immotop-version', '2.7.18'])
    try {
      const ready = await sandbox.ready
      expect(ready.immotop).toMatchObject({version: '2.7.18', pickup: 'off'})
      const config = JSON.parse(readFileSync(join(dir, 'c.json'), 'utf8'))
      const auth = {authorization: `Basic ${Buffer.from(`wwdms:${config.immotop.password}`).toString('base64')}`, version: '1.0'}
      const [objekt] = (await getJson(`${ready.immotop.baseUrl}/api/DmsRestServices/GetDmsObjekt?nr=1012`, {headers: auth})) as Array<Record<string, unknown>>
      expect(objekt).not.toHaveProperty('gueltigvon')
      expect(objekt).toHaveProperty('updts')
      const bad = await runCli(['sandbox', '--immotop-pickup', 'sometimes', '--data-dir', join(dir, 'x')])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/saved, consume, off/)
    } finally {
      sandbox.child.kill('SIGTERM')
      await sandbox.exited
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
