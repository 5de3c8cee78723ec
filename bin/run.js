#!/usr/bin/env node
// Everything this tool writes (configs, temporary dossier copies, state,
// staging files) is owner-only, whatever the caller's umask.
process.umask(0o077)

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
