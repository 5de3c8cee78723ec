/**
 * Paths in the config, as the platform reads them. On Windows a staging
 * folder is often a UNC share (`\\immotop01\Staging$\DMS2IT`) or a drive
 * letter (`D:\Immotop\Staging`): both are absolute there and kept exactly as
 * written; a relative path is taken from the config file's folder. The
 * platform is a parameter so that the Windows rules are tested everywhere.
 */
import {posix, win32} from 'node:path'

export function configPath(path: string, configDir: string, platform: NodeJS.Platform = process.platform): string {
  const rules = platform === 'win32' ? win32 : posix
  return rules.isAbsolute(path) ? path : rules.resolve(configDir, path)
}

/** A Windows path (UNC or drive letter) in a config read on another platform: almost surely a copied config. */
export function looksLikeWindowsPath(path: string): boolean {
  return /^(\\\\|[A-Za-z]:[\\/])/.test(path)
}
