import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EvaluationReportInput } from '../../../src/core/report/evaluation-report.js';
import { reportRewriter, writeEvaluationReport } from '../../../src/evaluation/index.js';

/** A report input told apart by its generation time (minute `n` of a day), with nothing final. */
const inputAt = (n: number): EvaluationReportInput => ({
  title: 'fraudscore evaluation: test',
  generatedAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
  horizonDays: 10,
  matured: [],
  openDays: [],
  offlineOnline: [],
});

const BURST = 20;

describe('evaluation report files', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'fraudscore-report-files-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Which input (its minute) each file of `dir` was written from, and the files left in it. */
  const writtenFrom = async (dir: string) => {
    const minuteIn = async (file: string) => {
      const text = await readFile(join(dir, file), 'utf8');
      const found = [...text.matchAll(/2026-01-01T00:(\d\d):00\.000Z/g)].map((m) => Number(m[1]));
      assert.ok(found.length > 0, `${file} names its generation time`);
      return found[0];
    };
    return {
      markdown: await minuteIn('evaluation.md'),
      html: await minuteIn('evaluation.html'),
      files: (await readdir(dir)).sort(),
    };
  };

  it('lets writes that overlap all succeed, each with temporary files of its own', async () => {
    const dir = join(root, 'overlapping');
    const outcomes = await Promise.allSettled(
      Array.from({ length: BURST }, (_, n) => writeEvaluationReport(dir, inputAt(n))),
    );
    assert.deepEqual(
      outcomes.filter((o) => o.status === 'rejected'),
      [],
    );
    assert.deepEqual((await writtenFrom(dir)).files, ['evaluation.html', 'evaluation.md'], 'no temporary file left');
  });

  it('rewrites one at a time, requests in a burst rejected none and both files from the latest state', async () => {
    const dir = join(root, 'rewriter');
    let state = 0;
    let reads = 0;
    const rewrite = reportRewriter(dir, async () => {
      reads++;
      return inputAt(state);
    });
    const requests: Promise<void>[] = [];
    for (let n = 0; n < BURST; n++) {
      state = n;
      requests.push(rewrite());
      // Let the write under way go on, as batches arriving one after another would.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const outcomes = await Promise.allSettled(requests);
    assert.deepEqual(
      outcomes.filter((o) => o.status === 'rejected'),
      [],
    );
    assert.deepEqual(await writtenFrom(dir), {
      markdown: BURST - 1,
      html: BURST - 1,
      files: ['evaluation.html', 'evaluation.md'],
    });
    assert.ok(reads < BURST, `requests during a write are served by one more (${reads} writes for ${BURST})`);
    state = BURST;
    await rewrite();
    assert.equal((await writtenFrom(dir)).markdown, BURST, 'a request after the burst writes again');
  });

  it('rejects a request with the error of the write that serves it, and writes again at the next', async () => {
    const dir = join(root, 'failing');
    let fail = true;
    const rewrite = reportRewriter(dir, async () => {
      if (fail) throw new Error('state unreadable');
      return inputAt(7);
    });
    await assert.rejects(rewrite(), /state unreadable/);
    fail = false;
    await rewrite();
    assert.equal((await writtenFrom(dir)).html, 7);
  });
});
