import {BaseCommand} from '../../cli/base-command.js'
import {configWarnings, effectiveConfig, loadConfig, type ShownValue} from '../../config/load.js'

export default class ConfigShow extends BaseCommand {
  static override summary = 'Print the effective config and where each value came from; secrets masked.'
  static override description = 'Shows every setting after defaults and environment variables are applied, with its source: file, env or default. Makes no network call.'
  static override examples = ['<%= config.bin %> config show', '<%= config.bin %> config show --json --config ./melon-immotop.yaml']

  async run(): Promise<{file: string; values: ShownValue[]; warnings: Array<{message: string; fix: string}>}> {
    const {flags} = await this.parse(ConfigShow)
    const loaded = await loadConfig({configPath: flags.config})
    this.redactor.add(loaded.config.melon.token, loaded.config.immotop.password)
    const values = effectiveConfig(loaded)
    const warnings = configWarnings(loaded)
    for (const w of warnings) this.ui.warn(`${w.message} Fix: ${w.fix}`)
    this.ui.out(this.ui.color.bold(`Config ${loaded.filepath}`))
    const width = Math.max(...values.map((v) => v.key.length))
    for (const v of values) {
      this.ui.out(`  ${v.key.padEnd(width)}  ${String(v.value)}  ${this.ui.color.dim(`(${v.source})`)}`)
    }
    return {file: loaded.filepath, values, warnings}
  }
}
