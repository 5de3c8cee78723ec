import {BaseCommand} from '../../cli/base-command.js'
import {configWarnings} from '../../config/load.js'
import {checkTransports} from '../../services/transport-check.js'

export default class ConfigValidate extends BaseCommand {
  static override summary = 'Validate the config without any network call.'
  static override description =
    'Finds and parses the config, checks every key and type, that both secrets are set (file or environment), and that the URLs obey the transport rules. Exits 78 on the first problem, naming the file, key and fix.'
  static override examples = ['<%= config.bin %> config validate', '<%= config.bin %> config validate --config ./melon-immotop.yaml --json']

  async run(): Promise<{file: string; valid: true; warnings: Array<{message: string; fix: string}>}> {
    const {flags} = await this.parse(ConfigValidate)
    const loaded = await this.loadConfig(flags.config, ['melon.token', 'immotop.password'])
    checkTransports(loaded.config)
    this.ui.out(`${this.ui.color.green('✔')} ${loaded.filepath} is valid.`)
    return {file: loaded.filepath, valid: true, warnings: configWarnings(loaded)}
  }
}
