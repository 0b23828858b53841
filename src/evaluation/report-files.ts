import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  renderEvaluationHtml,
  renderEvaluationMarkdown,
  type EvaluationReportInput,
} from '../core/report/evaluation-report.js';
import { makeDirectories } from '../adapters/files/make-directories.js';

/** Writes evaluation.md and evaluation.html into `dir`, each replaced atomically (a reader never sees half a file). */
export async function writeEvaluationReport(
  dir: string,
  input: EvaluationReportInput,
): Promise<{ markdown: string; html: string }> {
  makeDirectories(dir);
  const paths = { markdown: join(dir, 'evaluation.md'), html: join(dir, 'evaluation.html') };
  for (const [path, text] of [
    [paths.markdown, renderEvaluationMarkdown(input)],
    [paths.html, renderEvaluationHtml(input)],
  ] as const) {
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, path);
  }
  return paths;
}
