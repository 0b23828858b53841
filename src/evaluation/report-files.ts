import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  renderEvaluationHtml,
  renderEvaluationMarkdown,
  type EvaluationReportInput,
} from '../core/report/evaluation-report.js';
import { makeDirectories } from '../adapters/files/make-directories.js';

/**
 * Writes evaluation.md and evaluation.html into `dir`, each replaced atomically (a reader never sees half a file).
 * Each write has temporary files of its own: two writes at once never rename each other's. Which of two overlapping
 * writes leaves each file is not defined, though: rewrite through reportRewriter for the latest to win both.
 */
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
    const tmp = `${path}.tmp-${process.pid}-${randomUUID()}`;
    try {
      await writeFile(tmp, text, 'utf8');
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }
  return paths;
}

/**
 * Rewrites the report in `dir` from the evaluator's state as `input` reads it, one write at a time. A request while a
 * write is under way is served by one more write once it ends, with the input read then: requests that come in a burst
 * (a restart catching up matures a day with batch after batch) cost two writes, and both files end with the latest
 * state, never with an earlier one overtaking it. The promise a request returns settles with the write that serves it;
 * it rejects with that write's error.
 */
export function reportRewriter(dir: string, input: () => Promise<EvaluationReportInput>): () => Promise<void> {
  let wanted = false;
  let running: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    let failure: unknown;
    try {
      while (wanted) {
        wanted = false;
        try {
          await writeEvaluationReport(dir, await input());
          failure = undefined;
        } catch (error) {
          failure = error;
        }
      }
    } finally {
      // In the same step as the last check of `wanted`: a request after it starts a new drain.
      running = undefined;
    }
    if (failure !== undefined) throw failure;
  };
  return () => {
    wanted = true;
    running ??= drain();
    return running;
  };
}
