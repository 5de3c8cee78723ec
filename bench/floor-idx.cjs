#!/usr/bin/env node
// The floor of `publish --from-idx <feed> --all --dry-run --json`: the least
// any Node program does for the same output. It is the bare read-and-split of
// the benchmark, plus one listing-shaped object per record (the fields the
// tool maps, at their IDX 3.01 positions) written out as one JSON item each.
// Nothing else: no check of the record, no second reading, no description
// turned into text, no duplicate check, no secret scrubbing, the whole file
// in memory. `bench/all.mjs` sets it beside the bare split and the tool.
// Usage: node bench/floor-idx.cjs <feed.idx>   (JSON on stdout)
const {readFileSync, writeSync} = require('node:fs')

const text = readFileSync(process.argv[2], 'latin1')
const num = (s) => (s === '' ? null : Number(s))
const chunk = []
let size = 0
const flush = () => {
  writeSync(1, chunk.join(''))
  chunk.length = 0
  size = 0
}
writeSync(1, '{"source":"idx","items":[\n')
let line = 0
let first = true
for (const record of text.split('\n')) {
  line++
  const f = record.split('#')
  if (f.length < 183) continue
  const reference = `${f[5]}.${f[6]}.${f[7]}`
  const listing = {
    reference_number: reference,
    title: f[16],
    description: f[17],
    object_type: {key: f[3]},
    object_category: {key: f[2]},
    move_in_date: f[15] || null,
    availability: f[15] ? 'from_date' : 'immediately',
    floor: f[24],
    floor_num: num(f[24]),
    rooms: num(f[25]),
    area: num(f[27]),
    rentalgross_net: num(f[19]),
    incidentals: num(f[20]),
    rentalgross: (num(f[19]) ?? 0) + (num(f[20]) ?? 0),
    deposit: null,
    price_unit: 'monthly',
    start_date: null,
    end_date: null,
    contact_person: {first_name: f[81], surname: f[81], email: f[79], phone: f[82]},
    object_state: 'free',
    building: {building_title: f[8], address: f[8], house_number: f[8], postal_code: f[9], city: f[10], land_code: f[12], year_of_construction: num(f[31])},
    managed_by: `melon-immotop:idx:${f[68]}`,
  }
  const item = JSON.stringify({reference, line, action: 'dry-run', listing, changedFields: Object.keys(listing)})
  chunk.push(first ? item : `,\n${item}`)
  first = false
  size += item.length
  if (size > 1 << 16) flush()
}
flush()
writeSync(1, '\n]}\n')
