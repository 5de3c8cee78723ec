// Removes build output so that a deleted source file never survives in dist/.
import {rmSync} from 'node:fs'
rmSync(new URL('../dist', import.meta.url), {recursive: true, force: true})
rmSync(new URL('../oclif.manifest.json', import.meta.url), {force: true})
