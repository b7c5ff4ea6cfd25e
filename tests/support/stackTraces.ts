/**
 * Stack traces of the test runs (.mocharc*: required right after ts-node): positions in TypeScript
 * files are mapped back to their source lines (once per position), every other frame is printed as
 * V8 prints it.
 *
 * ts-node installs source-map-support, which maps every frame of every stack trace formatted in the
 * process. @pulumi/pulumi formats one for each promise it tracks and one of unlimited depth for each
 * resource, nearly all of it frames of its own JavaScript, which has nothing to map: that mapping was
 * 22 s of the unit suite's 54 s of CPU (a --cpu-prof of `npx mocha`). A failing assertion still points
 * at its line of the test.
 */
interface Position {
    source: string;
    line: number;
    column: number;
}
// The instance ts-node installed: it reads the source maps of what ts-node transpiled.
const support = require(require.resolve("@cspotcode/source-map-support", { paths: [require.resolve("ts-node")] })) as {
    mapSourcePosition(p: Position): Position;
};

const mapped = new Map<string, string>();

function frameText(frame: NodeJS.CallSite): string {
    const text = String(frame);
    const file = frame.getFileName();
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    if (!file?.endsWith(".ts") || line === null || column === null) return text;
    const at = `${file}:${line}:${column}`;
    let to = mapped.get(at);
    if (to === undefined) {
        const p = support.mapSourcePosition({ source: file, line, column: column - 1 });
        to = `${p.source}:${p.line}:${p.column + 1}`;
        mapped.set(at, to);
    }
    return text.replace(at, to);
}

Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): string => {
    let head: string;
    try {
        head = Error.prototype.toString.call(error);
    } catch {
        head = "Error";
    }
    return head + frames.map((frame) => `\n    at ${frameText(frame)}`).join("");
};
