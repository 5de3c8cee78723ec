#!/usr/bin/env node
// Benchmark: memory and time of `publish --from-idx --dry-run` as the feed
// grows, against the sandbox. The feed is the sandbox's own IDX 3.01 export,
// its records repeated with distinct references. Run after `npm run build`:
//   node bench/idx-memory.mjs [records...]      (default 1000 10000 100000)
import {join} from 'node:path'
import {measure, median, sandbox, writeFeed} from './lib.mjs'
import {writeFileSync} from 'node:fs'

const counts = process.argv.slice(2).map(Number).filter(Boolean)
const sb = await sandbox()
try {
  console.log('records | publish --dry-run s | peak RSS MiB | bare read+split s | ratio')
  for (const n of counts.length ? counts : [1000, 10_000, 100_000]) {
    const feed = await writeFeed(sb.dir, join(sb.dir, `feed-${n}.idx`), n)
    const run = measure(['publish', '--from-idx', feed, '--all', '--dry-run', '--json', '--config', sb.config], {dir: sb.dir})
    const bareScript = join(sb.dir, 'bare.cjs')
    writeFileSync(bareScript, `let n=0;for(const l of require('fs').readFileSync(${JSON.stringify(feed)},'latin1').split('\\n'))n+=l.split('#').length;console.log(n)`)
    const bare = median(process.execPath, [bareScript], 3)
    console.log(`${String(n).padStart(7)} | ${run.seconds.toFixed(2).padStart(19)} | ${run.rssMiB.toFixed(1).padStart(12)} | ${bare.toFixed(2).padStart(17)} | ${(run.seconds / bare).toFixed(1).padStart(5)}`)
  }
} finally {
  await sb.stop()
}
