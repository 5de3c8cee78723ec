#!/usr/bin/env node
// The floor of `sync --once`: the least any Node program does to hand the
// same tenants over through the same sandbox. Per tenant: read it from melon,
// download its documents (SHA-256 checked), put them and a tenant record into
// staging folder 2 with one control file each, wait for Immotop 2's answers
// in folder 1 (a folder watch, polling once a second), remove them, and send
// one mail over a pooled SMTP connection; four tenants at a time.
// Nothing else: no ledger, no flush to disk, no lock, no spool, no link
// checks, no retries, no validation of what melon sends, no publish step.
// `bench/all.mjs` sets its CPU per tenant beside the tool's.
// Usage: node bench/floor-sync.mjs <config.json of the sandbox>
import http from 'node:http'
import {createHash} from 'node:crypto'
import {createWriteStream, mkdirSync, readFileSync, watch} from 'node:fs'
import {readdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'

const nodemailer = createRequire(import.meta.url)('nodemailer')
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const melon = new URL(config.melon.baseUrl)
const agent = new http.Agent({keepAlive: true, maxSockets: 8})
const headers = {authorization: `Token ${config.melon.token}`, 'x-melon-project': config.melon.project}

const get = (path) =>
  new Promise((resolve, reject) => {
    http.get({host: melon.hostname, port: melon.port, path, agent, headers}, resolve).on('error', reject)
  })

async function json(path) {
  const response = await get(path)
  let body = ''
  response.setEncoding('utf8')
  for await (const piece of response) body += piece
  if (response.statusCode !== 200) throw new Error(`${path}: ${response.statusCode}`)
  return JSON.parse(body)
}

const incoming = config.staging.incomingDir
const answers = config.staging.ackDir
const tmp = join(incoming, '.floor-tmp')
mkdirSync(tmp, {recursive: true, mode: 0o700})

// Answers by control file name: one reading of folder 1 per change, for every tenant waiting.
const waiting = new Map()
let reading = null
let again = false
async function readAnswers() {
  for (const name of await readdir(answers)) {
    const resolve = waiting.get(name)
    if (!resolve) continue
    waiting.delete(name)
    const text = await readFile(join(answers, name), 'utf8')
    await rm(join(answers, name))
    resolve(text)
  }
}
function look() {
  if (reading) {
    again = true
    return
  }
  reading = readAnswers().finally(() => {
    reading = null
    if (again) {
      again = false
      look()
    }
  })
}
const watcher = watch(answers, look)
const poll = setInterval(look, 1000)

const mailer = nodemailer.createTransport({host: config.notify.smtp.host, port: config.notify.smtp.port, secure: false, pool: true, maxConnections: 1, auth: {user: config.notify.smtp.user, pass: config.notify.smtp.password}})

const control = (id, name) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<ControlFile>\n  <Version>1.0</Version>\n  <Action>NewDocument</Action>\n  <DmsArchivId>${config.staging.dmsArchivId}</DmsArchivId>\n  <DmsDocumentId>${id}</DmsDocumentId>\n  <DateiName>${name}</DateiName>\n</ControlFile>\n`

async function handOver(tenantId) {
  const tenant = await json(`/api/partner/v1/tenants/${tenantId}`)
  const files = []
  for (const document of tenant.documents) {
    const name = `${tenantId}_${document.id}_${document.kind}.pdf`
    const response = await get(`/api/partner/v1/tenants/${tenantId}/documents/${document.id}`)
    const hash = createHash('sha256')
    response.on('data', (piece) => hash.update(piece))
    await pipeline(response, createWriteStream(join(tmp, name), {flags: 'wx', mode: 0o600}))
    if (hash.digest('hex') !== document.sha256) throw new Error(`${name}: SHA-256 differs`)
    files.push({name, id: `${tenantId}-${document.id}`})
  }
  const record = `${tenantId}_tenant_record.json`
  await writeFile(join(tmp, record), JSON.stringify(tenant), {flag: 'wx', mode: 0o600})
  files.push({name: record, id: `${tenantId}-record`})
  const answered = []
  for (const file of files) {
    await rename(join(tmp, file.name), join(incoming, file.name))
    const controlName = file.name.replace(/\.[^.]+$/, '.xml_it2')
    answered.push(new Promise((resolve) => waiting.set(controlName, resolve)))
    await writeFile(join(tmp, controlName), control(file.id, file.name), {flag: 'wx', mode: 0o600})
    await rename(join(tmp, controlName), join(incoming, controlName))
  }
  look()
  for (const answer of await Promise.all(answered)) {
    if (!answer.includes('<Action>SavedDocument</Action>') || answer.includes('<FehlerText>')) throw new Error(`refused: ${answer}`)
  }
  await mailer.sendMail({from: config.notify.from, to: config.notify.recipients, subject: `Mieter ${tenantId} ist in Immotop 2`, text: `Das Dossier von ${tenantId} liegt in Immotop 2.`})
}

const tenants = []
for (let page = 1; ; page++) {
  const found = await json(`/api/partner/v1/tenants?contract_status=without_contract&page=${page}&page_size=50`)
  tenants.push(...found.results.map((tenant) => tenant.id))
  if (!found.next_page) break
}
let next = 0
await Promise.all(
  Array.from({length: 4}, async () => {
    while (next < tenants.length) await handOver(tenants[next++])
  }),
)
clearInterval(poll)
watcher.close()
mailer.close()
agent.destroy()
await rm(tmp, {recursive: true, force: true})
console.log(JSON.stringify({tenants: tenants.length}))
