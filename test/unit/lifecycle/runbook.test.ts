import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { parse } from 'yaml';
import { registerCommands } from '../../../src/cli/commands/index.js';
import { loadTopology } from '../../../src/config/index.js';
import { renderRunbook } from '../../../src/lifecycle/runbook.js';
import { usageLines, usageProblems } from '../../support/usage-lines.js';

describe('runbook', () => {
  const topology = loadTopology('topologies/card-payments.yaml');
  const base = {
    topology,
    topologyFile: 'topologies/card-payments.yaml',
    champion: 'card-fraud@2',
    cardRollbackTarget: 'card-fraud@1',
    killTarget: 'card-fraud@1',
    challenger: null,
    generatedAt: '2026-12-03T00:00:00.000Z',
  };

  it('names the owner, the rollback authority, the exact commands and the last drill', () => {
    const text = renderRunbook({
      ...base,
      lastDrill: {
        at: '2026-12-02T10:00:00.000Z',
        ok: true,
        fullEffectMs: 812,
        events: 40000,
        lost: 0,
        duplicated: 0,
        workers: [
          { instance: 'w1', applyMs: 640 },
          { instance: 'w2', applyMs: 812 },
        ],
      },
    });
    assert.match(text, /Model owner: \*\*fraud-ml-team\*\*/);
    assert.match(text, /\*\*fraud-oncall\*\*, \*\*fraud-ml-team\*\*/);
    assert.match(text, /fraudscore kill-switch on -t topologies\/card-payments\.yaml --reason/);
    assert.match(text, /The kill switch would serve: `card-fraud@1`/);
    assert.match(
      text,
      /2026-12-02T10:00:00\.000Z: PASSED; 40000 events, full effect 0\.812 s \(w1 0\.640 s, w2 0\.812 s\)/,
    );
  });

  it('says the rollback authority is a documented list, and that Kafka ACLs on the control topic restrict writers', () => {
    const text = renderRunbook({ ...base, lastDrill: null });
    assert.match(text, /This is a documented list, not an access control: fraudscore does not check it\./);
    assert.match(text, /Whoever can write to the control topic `card-payments\.control` can make any change/);
    assert.match(text, /the actor is not verified/);
    assert.match(text, /Only Kafka restricts the writers: an authorizer with ACLs granting Write on that topic/);
  });

  it("gives each gate bound in force and whose it is: the topology's, or the live rollout's", () => {
    const own = renderRunbook({
      ...base,
      challenger: 'card-fraud@3',
      rolloutGates: { maxScorePsi: 2 },
      lastDrill: null,
    });
    assert.match(own, /score PSI under 2 \(the live rollout's; the topology's is 0\.25\)/);
    assert.match(own, /alert-rate delta within ±0\.005 \(the topology's\)/);
    assert.match(own, /AUC within 0\.01 \(the topology's\) of the champion's/);
    const plain = renderRunbook({ ...base, lastDrill: null });
    assert.match(plain, /score PSI under 0\.25 \(the topology's\)/);
    assert.match(plain, /`--max-score-psi` \(a deliberate recalibration/);
  });

  it('says plainly when there is no rollback target or no drill', () => {
    const text = renderRunbook({ ...base, killTarget: { problem: 'no rollback target' }, lastDrill: null });
    assert.match(text, /would serve: `NONE: no rollback target`/);
    assert.match(text, /No drill recorded/);
  });

  it('has a section for each alert of the rules file, and for no other', () => {
    const rules = parse(readFileSync('deploy/prometheus/fraudscore-rules.yml', 'utf8')) as {
      groups: { rules: { alert?: string }[] }[];
    };
    const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    assert.ok(alerts.length >= 15);
    const text = renderRunbook({ ...base, lastDrill: null });
    const sections = [...text.matchAll(/^### (.+)$/gm)].flatMap((m) => m[1]!.split(', '));
    assert.deepEqual([...sections].sort(), [...alerts].sort());
  });

  it('gives only commands the CLI accepts, each line with the options it requires', () => {
    const program = new Command('fraudscore');
    registerCommands(program);
    const text = renderRunbook({ ...base, challenger: 'card-fraud@3', lastDrill: null });
    const lines = usageLines(program, text, { spans: true });
    assert.ok(lines.filter((l) => l.complete).length >= 20, `${lines.length} commands read`);
    assert.ok(lines.some((l) => l.line.startsWith('fraudscore state rebuild -t topologies/card-payments.yaml')));
    // Read at 3 am and pasted: a command quoted in a sentence must run as it stands too.
    assert.deepEqual(
      lines.flatMap((line) => usageProblems({ ...line, complete: true })),
      [],
    );
  });
});
