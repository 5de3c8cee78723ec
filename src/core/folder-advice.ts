/**
 * How to create a missing folder, said in the platform's own terms. Pure.
 * Windows: `mkdir "…"` works as typed in cmd and in PowerShell (both create the
 * folders above it too); a UNC path is a share to reach, not a folder to create
 * on this machine (an empty local folder in its place would hide an offline share).
 */
export function createFolderAdvice(dir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    if (/^(\\\\|\/\/)[^\\/]/.test(dir)) return `check that the share of ${dir} is reachable for this account (a service account sees no mapped drive letters) and that the folder exists on it`
    return `create it (mkdir "${dir}")`
  }
  return `create it (mkdir -p ${/[\s'"$`\\]/.test(dir) ? `'${dir.replace(/'/g, `'\\''`)}'` : dir})`
}
