/** The two staging folders, a probe through them (--deep), and handovers waiting for pick-up. */
import {join} from 'node:path'
import {writeFile, rm} from 'node:fs/promises'
import {failFrom, writableDir, type Check, type DoctorOptions} from '../context.js'

const OLD_FILE_MINUTES = 15
const MIN_FREE_BYTES = 1024 ** 3

export function stagingChecks(options: DoctorOptions): Check[] {
  return [
    {
      id: 'staging.incoming',
      title: 'Staging folder to Immotop 2: writable, space, processed',
      needs: ['config'],
      owner: "customer's IT",
      async run(ctx) {
        const dir = ctx.loaded!.config.staging.incomingDir
        const basic = await writableDir('staging.incomingDir', dir, false)
        if (basic.status !== 'pass') return {...basic, owner: "customer's IT"}
        const {StagingDirectory} = await import('../../../adapters/staging-dir.js')
        const {freeBytes, oldControlFiles: old} = await new StagingDirectory(ctx.loaded!.config.staging).inspect(OLD_FILE_MINUTES)
        if (old.length > 0) {
          return {status: 'warn', detail: `${old.length} control file(s) in ${dir} are older than ${OLD_FILE_MINUTES} minutes (e.g. ${old[0]}): Immotop 2 is not processing the folder.`, fix: 'Ask W&W to check the staging import of the Immotop 2 server.', owner: 'W&W'}
        }
        if (freeBytes < MIN_FREE_BYTES) return {status: 'warn', detail: `Only ${(freeBytes / 1024 ** 2).toFixed(0)} MiB free in ${dir}.`, fix: 'Free space on that volume: dossiers can be large.', owner: "customer's IT"}
        return {status: 'pass', detail: `${dir} is writable, ${(freeBytes / 1024 ** 3).toFixed(1)} GiB free, no old unprocessed files.`}
      },
    },
    {
      id: 'staging.ack',
      title: 'Acknowledgement folder from Immotop 2 writable',
      needs: ['config'],
      owner: "customer's IT",
      run: async (ctx) => ({...(await writableDir('staging.ackDir', ctx.loaded!.config.staging.ackDir, false)), owner: "customer's IT"}),
    },
    {
      id: 'staging.roundtrip',
      title: 'Staging round trip: Immotop 2 picks up a probe',
      needs: ['staging.incoming', 'staging.ack'],
      owner: 'W&W',
      async run(ctx) {
        if (!options.deep) return {status: 'skip', detail: 'Run with --deep to deliver a harmless probe document and wait until Immotop 2 picks it up.'}
        const config = ctx.loaded!.config.staging
        const {StagingDirectory} = await import('../../../adapters/staging-dir.js')
        const staging = new StagingDirectory(config)
        const stamp = new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)
        const {createHash} = await import('node:crypto')
        const {tmpdir} = await import('node:os')
        const body = Buffer.from(`melon-immotop doctor probe ${stamp}. This file can be deleted.\n`)
        const probe = {fileName: `melon-immotop-doctor-${stamp}-${process.pid}.txt`, dmsDocumentId: `melon-immotop-doctor-${stamp}-${process.pid}`, dateiName: 'melon-immotop-Verbindungstest.txt', size: body.length, sha256: createHash('sha256').update(body).digest('hex')}
        const local = join(tmpdir(), probe.fileName)
        await writeFile(local, body, {mode: 0o600, flag: 'wx'})
        const timeout = config.pickupTimeoutSeconds
        try {
          await staging.deliver(local, probe, {controlMoved: false, beforeControlMove: () => {}})
          const started = Date.now()
          const state = await staging.waitForPickup([probe], timeout * 1000)
          const answer = state.pickedUp[0]
          if (!answer) {
            await staging.retract(probe)
            return {status: 'fail', detail: `Immotop 2 did not pick up the probe within ${timeout} s (staging.pickupTimeoutSeconds); it was taken back from ${config.incomingDir}.`, fix: 'Ask W&W to check that Immotop 2 imports staging folder 2 (the DMS import of the Immotop 2 server) and that it is this folder.', owner: 'W&W'}
          }
          if (answer.answer) await staging.removeAnswers([answer.answer])
          return {status: 'pass', detail: `Probe picked up in ${Date.now() - started} ms${answer.documentId ? ` (Immotop 2 answered with DocumentId ${answer.documentId})` : ' (Immotop 2 does not answer, as W&W documents it)'}.`}
        } catch (error) {
          await staging.retract(probe)
          return failFrom(error, 'W&W')
        } finally {
          await rm(local, {force: true})
        }
      },
    },
  ]
}

export function pickupCheck(): Check {
  return {
    id: 'staging.pickup',
    title: 'Staging: no handover waits for pick-up longer than the timeout',
    needs: ['config', 'state'],
    owner: 'W&W',
    async run(ctx) {
      const config = ctx.loaded!.config
      const {Ledger} = await import('../../../state/ledger.js')
      const ledger = new Ledger(config.stateDir)
      try {
        const limit = Date.now() - config.staging.pickupTimeoutSeconds * 1000
        const late = ledger.waitingForPickup().filter((op) => op.delivered_at && Date.parse(op.delivered_at) < limit)
        if (late.length === 0) return {status: 'pass', detail: `No handover waits longer than ${config.staging.pickupTimeoutSeconds} s for Immotop 2 to pick it up.`}
        const oldest = late[0]!
        // Handovers delivered before staging.incomingDir changed wait in the folder they went into.
        const elsewhere = late.filter((op) => op.staging_dir !== null && op.staging_dir !== config.staging.incomingDir)
        const former = [...new Set(elsewhere.map((op) => op.staging_dir))]
        return {
          status: 'warn',
          detail: `${late.length} handover(s) delivered and not picked up by Immotop 2, the oldest since ${oldest.delivered_at} (tenant ${oldest.tenant_id}, handover ${oldest.handover_id}).`,
          fix:
            (elsewhere.length > 0
              ? `${elsewhere.length} of them wait in ${former.join(', ')}, the staging folder 2 configured when they were delivered: ask W&W whether Immotop 2 still imports it, or move their files into ${config.staging.incomingDir}. `
              : '') + `Ask W&W to check that Immotop 2 imports staging folder 2 (${config.staging.incomingDir}). Nothing is resent; sync picks them up once Immotop 2 does.`,
          owner: 'W&W',
        }
      } finally {
        ledger.close()
      }
    },
  }
}
