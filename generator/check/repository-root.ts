/**
 * Paths for GitHub annotations. GitHub places an annotation by a path relative to the repository's
 * root, whatever folder the command ran in; reports name files relative to the working directory,
 * which in a monorepo (`cd services/booking && npx skeji-gen check`) is not the same.
 */
import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/**
 * The root of the repository holding `dir`: the nearest folder upwards with a `.git` entry (a
 * folder, or the file a worktree or submodule has), as git itself looks; read from the file system,
 * so it works where git is missing or refuses the folder (a container whose checkout another user
 * owns). Where there is none up to `workspace` (GITHUB_WORKSPACE: a checkout without git metadata),
 * that folder. Undefined when neither holds `dir`.
 */
export function repositoryRoot(dir: string, workspace: string | undefined): string | undefined {
  const stop = workspace === undefined || workspace === "" ? undefined : realPath(resolve(workspace));
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, ".git")) || d === stop) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** The working directory is a real path (symbolic links resolved); so must the workspace be to compare. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Turns a reported path (relative to `cwd`) into the path an annotation needs: relative to the
 * repository's root, `/`-separated. A file outside any repository keeps its path as reported.
 */
export function annotationPaths(
  cwd: string,
  workspace: string | undefined = process.env.GITHUB_WORKSPACE,
): (file: string) => string {
  const roots = new Map<string, string | undefined>();
  return (file) => {
    const full = resolve(cwd, file);
    const folder = dirname(full);
    if (!roots.has(folder)) roots.set(folder, repositoryRoot(folder, workspace));
    const root = roots.get(folder);
    if (root === undefined) return file;
    const path = relative(root, full);
    return path === "" || path.startsWith("..") || isAbsolute(path) ? file : path.split(sep).join("/");
  };
}
