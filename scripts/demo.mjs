#!/usr/bin/env node
// The embedded default: start the sandbox, run the real CLI against it step by
// step (doctor, publish, tenants, export-tenant), show what arrived in
// Immotop 2, stop the sandbox, exit 0. Every step is a separate process of
// bin/run.js, exactly as an operator would type it.
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'melon-immotop-demo-'))
const configPath = join(dataDir, 'config.yaml')
const bold = (s) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s)

function startSandbox() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'sandbox', '--json', '--data-dir', dataDir, '--write-config', configPath], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      try {
        resolve({child, ready: JSON.parse(out)})
      } catch {
        // not complete yet
      }
    })
    child.once('exit', (code) => reject(new Error(`sandbox exited early with ${code}`)))
  })
}

function step(title, args) {
  console.log(`\n${bold(`$ melon-immotop ${args.join(' ')}`)}   # ${title}`)
  const result = spawnSync(process.execPath, [bin, ...args, '--config', configPath], {stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8'})
  process.stdout.write(result.stdout)
  if (result.status !== 0) throw new Error(`step "${title}" exited ${result.status}`)
  return result.stdout
}

let sandbox
let exitCode = 0
try {
  sandbox = await startSandbox()
  console.log(bold('Sandbox started:'), `melon ${sandbox.ready.melon.baseUrl}, Immotop 2 ${sandbox.ready.immotop.baseUrl}, staging ${sandbox.ready.stagingDir}`)
  step('prove every connection and setting', ['doctor'])
  // REST views (W&W's documented columns) decide what is vacant; Immotop 2's own IDX export
  // (immotop.detailsFile in the sandbox's config) adds rooms, area, floor, type and rent.
  step('publish a vacant unit from Immotop 2 to melon', ['publish', '1.10001.1012'])
  step('publish every vacancy of every letting mandant (the deactivated unit and the Stockwerk mandant stay out)', ['publish', '--all'])
  step('list the tenants without contract', ['tenants'])
  const tenants = JSON.parse(spawnSync(process.execPath, [bin, 'tenants', '--json', '--config', configPath], {encoding: 'utf8'}).stdout)
  const tenant = tenants.tenants[0]
  step('hand the first one, with dossier, to Immotop 2 (W&W\'s use case 5: done when Immotop 2 picks the files up)', ['export-tenant', tenant.id])
  step('hand over the others unattended, exactly once, and mail the contract staff', ['sync', '--once'])
  step('what was handed over, with checksums and pick-up', ['history'])
  const response = await fetch(sandbox.ready.admin.handovers)
  const {handovers} = await response.json()
  console.log(`\n${bold('What arrived in Immotop 2:')}`)
  for (const handover of handovers) {
    console.log(`  handover ${handover.handoverId} for unit ${handover.unitReference}, ${handover.record?.persons?.length ?? 0} person(s)`)
    for (const doc of handover.documents) console.log(`    #${doc.documentId.padEnd(3)} ${doc.dateiName.padEnd(30)} ${doc.fileName.padEnd(56)} ${String(doc.size).padStart(8)} B  sha256 …${doc.sha256.slice(-12)}`)
  }
  const {mails} = await (await fetch(sandbox.ready.smtp.inbox)).json()
  console.log(`\n${bold('Mails to contract staff:')}`)
  for (const mail of mails) console.log(`  ${mail.to.join(', ')}: ${mail.subject}`)
  if (handovers.length !== tenants.tenants.length) throw new Error(`expected ${tenants.tenants.length} handovers, found ${handovers.length}`)
  if (mails.length !== tenants.tenants.length) throw new Error(`expected ${tenants.tenants.length} mails, found ${mails.length}`)

  // Closing the loop: the contract staff draw up the contract in Immotop 2 (in the sandbox: a new Mieter-Verhältnis).
  const main = tenant.persons[0]
  console.log(`\n${bold('The contract staff draw up the contract in Immotop 2')} for ${tenant.id} on unit ${tenant.object_reference_number}, from ${tenant.requested_move_in_date}`)
  const created = await fetch(sandbox.ready.admin.createTenancy, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({unit: tenant.object_reference_number, from: tenant.requested_move_in_date, to: null, name: `${main.surname} ${main.first_name}`}),
  })
  if (created.status !== 201) throw new Error(`creating the tenancy answered ${created.status}`)
  step('the next pass finds the contract, tells melon, and sets the listing to rented', ['sync', '--once'])
  step('what closing the loop did', ['contracts'])
  const after = JSON.parse(spawnSync(process.execPath, [bin, 'tenants', '--status', 'with_contract', '--json', '--config', configPath], {encoding: 'utf8'}).stdout)
  if (!after.tenants.some((t) => t.id === tenant.id)) throw new Error(`${tenant.id} is not "with contract" in melon`)
  console.log(`\n${bold("melon:")} ${tenant.id} is now "mit Vertrag" (tenants --status with_contract).`)
  console.log(`\n${bold('Demo complete.')}`)
} catch (error) {
  console.error(`Demo failed: ${error.message}`)
  exitCode = 1
} finally {
  if (sandbox) {
    sandbox.child.kill('SIGTERM')
    await new Promise((resolve) => sandbox.child.once('exit', resolve))
  }
  rmSync(dataDir, {recursive: true, force: true})
}
process.exit(exitCode)
