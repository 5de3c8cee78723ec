// Builds dist/ from src/ with esbuild: one file per command and hook (where oclif looks for them),
// shared code and lazily imported modules in dist/chunks/.
//
// Why a bundle: a start of the CLI was mostly module loading. zod alone is 95 ES modules, axios 66;
// resolving, reading and compiling them one by one cost more than the command's own work. Bundled,
// `tenants --json` takes about a quarter less CPU, and a lazy import() still loads only when reached.
//
// oclif is compiled in too (~130 CommonJS modules): dist/cli/main.js, which bin/run.js runs, and the
// commands share one copy of it, so a command extends the very Command class it is run with.
//
// What stays a package (external), loaded from node_modules at run time:
// - oclif's plugins (help, autocomplete): oclif loads them by package, each with its own @oclif/core;
// - the sandbox's optional peers (fastify, pdf-lib, smtp-server, mailparser): absent in a lean install,
//   where `sandbox` must still say how to add them;
// - packages that are large, rarely reached, or load more on their own (iconv-lite's code tables,
//   nodemailer, the prompts of `init`, js-yaml, which cosmiconfig loads only for a YAML config: a
//   dependency of its own, so that cosmiconfig finds it), and TypeScript, which oclif and cosmiconfig
//   reach for only for .ts files.
// Everything else in "dependencies" of package.json is bundled; see BUNDLED below.
import {build} from 'esbuild'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** Packages compiled into dist/ (devDependencies: an install does not need them). */
export const BUNDLED = ['@oclif/core', 'axios', 'chalk', 'cli-table3', 'cosmiconfig', 'csv-parse', 'fast-xml-parser', 'http-proxy-agent', 'https-proxy-agent', 'ora', 'p-limit', 'proxy-from-env', 'yaml', 'zod']

const walk = (dir, suffix = '.ts') =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path, suffix) : name.endsWith(suffix) ? [path] : []
  })

const entryPoints = [...walk(join(root, 'src/commands')), ...walk(join(root, 'src/hooks')), join(root, 'src/cli/main.ts'), join(root, 'src/cli/fast-help.ts')]
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})].filter((name) => !BUNDLED.includes(name))
const missing = BUNDLED.filter((name) => !(pkg.devDependencies ?? {})[name])
if (missing.length > 0) {
  console.error(`bundle: ${missing.join(', ')} must be in devDependencies (they are compiled in)`)
  process.exit(1)
}

/**
 * Two lines of axios reach, as it loads, for globals that make Node load undici (its fetch), which the
 * tool never uses: lib/adapters/fetch.js builds its fetch adapter (`const adapter = getFetch();`, a
 * default export nothing imports: axios reaches that adapter through `getFetch` only when asked for it),
 * creating a Request, a Response and a ReadableStream; lib/utils.js reads `FormData` once to recognise
 * form bodies, which it also recognises without it (by their type tag, `[object FormData]`). Together
 * about 20 ms of CPU at every start of a command that speaks HTTP (A/B, 15 runs each). The tool
 * uses the http adapter and sends no forms; both lines are replaced. The build fails if axios changes
 * either line, so that an update is looked at again.
 */
const AXIOS_EAGER = [
  {file: /[\\/]axios[\\/]lib[\\/]adapters[\\/]fetch\.js$/, line: 'const adapter = getFetch();', instead: 'const adapter = undefined;'},
  {file: /[\\/]axios[\\/]lib[\\/]utils\.js$/, line: "const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;", instead: 'const FormDataCtor = undefined;'},
]
/**
 * axios loads the form-data package as it loads (its class for multipart bodies), and with it mime-types
 * and the whole MIME database: another 10–20 ms of CPU at every start of a command that speaks HTTP
 * (A/B, 15 runs each). axios needs it
 * only to turn an object into a multipart form, which this tool never sends (JSON, and files as streams).
 * In the bundle axios gets a stand-in that says so if it is ever reached.
 */
const FORM_DATA_STAND_IN = `export default class FormData {
  constructor() {
    throw new Error('melon-immotop sends no multipart forms: the form-data package is left out of the bundle (scripts/bundle.mjs)')
  }
}
`
const axiosWithoutUndici = {
  name: 'axios-without-undici',
  setup(b) {
    b.onResolve({filter: /^form-data$/}, (args) => (/[\\/]node_modules[\\/]axios[\\/]/.test(args.importer) ? {path: 'form-data', namespace: 'melon-immotop-stand-in'} : undefined))
    b.onLoad({filter: /.*/, namespace: 'melon-immotop-stand-in'}, () => ({contents: FORM_DATA_STAND_IN, loader: 'js'}))
    for (const {file, line, instead} of AXIOS_EAGER) {
      b.onLoad({filter: file}, (args) => {
        const text = readFileSync(args.path, 'utf8')
        if (!text.includes(line)) throw new Error(`${args.path} no longer has "${line}": check whether loading axios still reaches for undici, then adapt scripts/bundle.mjs`)
        return {contents: text.replace(line, instead), loader: 'js'}
      })
    }
  },
}

await build({
  entryPoints,
  plugins: [axiosWithoutUndici],
  outdir: join(root, 'dist'),
  outbase: join(root, 'src'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: join(root, 'tsconfig.build.json'),
  // TypeScript and its loaders: oclif and cosmiconfig reach for them only for .ts files, never in this tool.
  external: [...external, 'typescript', 'ts-node', 'tsx'].flatMap((name) => [name, `${name}/*`]),
  chunkNames: 'chunks/[name]-[hash]',
  // No keepNames: its __name() call for every function and class cost about 2% of a start. A class keeps
  // its name anyway, unless esbuild renames it to avoid a clash within a chunk; the check below fails the
  // build if that happens to a class of src/ (their names are error names and part of messages).
  keepNames: false,
  // Bundled CommonJS packages (axios's form-data, the proxy agents) call require() for Node's own modules.
  banner: {js: "import {createRequire as __melonImmotopRequire} from 'node:module'; const require = __melonImmotopRequire(import.meta.url);"},
  legalComments: 'eof',
  logLevel: 'warning',
})

const ours = new Set(walk(join(root, 'src')).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bclass (\w+)/g)].map((m) => m[1])))
const renamed = walk(join(root, 'dist'), '.js').flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\b(?:var|let|const) ([A-Za-z_$][\w$]*?)(\d+) = class\b/g)].filter((m) => ours.has(m[1])).map((m) => `${m[1]} became ${m[1]}${m[2]}`))
if (renamed.length > 0) {
  console.error(`bundle: esbuild renamed classes of src/ to avoid a clash (${renamed.join(', ')}); give one of the clashing classes another name`)
  process.exit(1)
}
