/**
 * How generated configuration reaches an accessory's container without a provider change: the
 * container's command (CapRover's serviceUpdateOverride, `TaskTemplate.ContainerSpec.Command`) is a
 * shell that writes each file from a positional argument, then execs the image's own process. The
 * images deploy by name and digest as they are published; the files travel in the Docker service
 * spec, in plain text, so nothing secret may be among them (Grafana's password is an environment
 * variable, a secret of the app).
 */
import * as path from "path";

/** One generated file. */
export interface GeneratedFile {
    /** Absolute path in the container (a directory the image's user may write: /tmp). */
    path: string;
    /** Its content. */
    text: string;
}

/** `/bin/sh -c <script> sh <file 1> <file 2> ...`: writes the files, then `exec`s `process` (a fixed shell line). */
export function writeFilesThenExec(files: GeneratedFile[], process: string): string[] {
    const dirs = [...new Set(files.map((f) => path.posix.dirname(f.path)))];
    const writes = files.map((f, i) => `printf '%s' "$${i + 1}" > ${f.path}`);
    const script = ["set -e", `mkdir -p ${dirs.join(" ")}`, ...writes, `exec ${process}`].join("; ");
    return ["/bin/sh", "-c", script, "sh", ...files.map((f) => f.text)];
}
