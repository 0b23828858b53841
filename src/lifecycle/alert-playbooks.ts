import type { Topology } from '../config/index.js';
import { controlTopicName } from '../core/control/index.js';

/**
 * What to do when an alert of deploy/prometheus/fraudscore-rules.yml fires, for the person paged: one playbook per
 * alert (a unit test keeps the two lists equal, and every command here one the CLI accepts). Rendered into the
 * runbook (`fraudscore docs runbook`), with the topology's file, topics and control topic filled in.
 */
export interface AlertPlaybook {
  /** The alert's name, as in the rules file (a Critical variant shares its warning's playbook: `alerts`). */
  readonly alerts: readonly string[];
  /** What is at stake, for the people downstream, while it fires. */
  readonly means: string;
  /** Commands to run first, each as it would be typed, with a comment after `#` where it helps. */
  readonly commands: readonly string[];
  /** Where else to look. */
  readonly look: string;
  /** What to do. */
  readonly act: string;
}

export function alertPlaybooks(t: Topology, file: string): readonly AlertPlaybook[] {
  const status = `fraudscore control status -t ${file}`;
  const kill = `fraudscore kill-switch on -t ${file} --reason "<what you saw>" --wait`;
  return [
    {
      alerts: ['FraudscoreFeatureStateLost'],
      means:
        'Redis lost feature state the committed scores were computed from (a restart without its append-only file, a ' +
        'failover to a replica behind, a flush, keys evicted under maxmemory). The workers refuse every batch of the ' +
        'partitions concerned rather than score on wrong features: no score is published there until the state is ' +
        'rebuilt. Nothing is lost; the records wait in the input topic.',
      commands: [
        `fraudscore state rebuild -t ${file}   # replays ${t.topics.input} and ${t.topics.labels} up to the committed offsets`,
        `${status}   # the workers resume by themselves once it completes`,
      ],
      look: 'The workers log each partition with its absorbed and committed offsets; `fraudscore_feature_state_behind_total` by `check`.',
      act:
        'Rebuild first (it pages until scoring resumes), then find out why Redis lost the data: its persistence ' +
        '(`appendonly yes`), its eviction policy (`noeviction`: the state must never be evicted), its failover.',
    },
    {
      alerts: ['FraudscoreControlVersionBehind'],
      means:
        'A control change (the kill switch, a rollout step, a batch window) has not taken effect on a worker: it ' +
        'serves what it served before. When every worker refused the change, none is behind the others, and the ' +
        'alert fires for each.',
      commands: [
        `${status}   # each worker's applied version, and the change it refused with the reason`,
        `fraudscore models verify --registry ${t.model.registry}   # the models as the workers' registry holds them`,
      ],
      look: "The worker's `/healthz` (`control.rejected`) and its log (`control change refused`).",
      act:
        'A model the workers cannot load or verify (missing from their registry, a changed file, a load over 20 s): ' +
        'register it where the workers read the registry, or write a change naming a model they hold. A worker stuck ' +
        'in a batch applies nothing until the batch goes through (`FraudscoreFeatureStateLost`). A restarted worker ' +
        'reads the control topic from its beginning and applies its latest state.',
    },
    {
      alerts: ['FraudscoreControlReaderSilent'],
      means:
        `A worker no longer reads the control topic \`${controlTopicName(t.name)}\`: control changes, the kill switch ` +
        'included, do not reach it, and it serves what it last read.',
      commands: [`fraudscore control history -t ${file}   # reads the topic: it exists and the brokers answer`],
      look: "The worker's log and `/healthz` (not ready, with the reason); the brokers' health from that worker's host.",
      act:
        'Never delete the control topic: it is the serving state. A topic deleted and created again is told apart ' +
        'by the workers, which stop and are restarted into it; a broker unreachable from one worker is a network ' +
        'problem of that worker.',
    },
    {
      alerts: ['FraudscoreFallbackScores'],
      means:
        'The deciding model returns unusable scores (NaN, infinite, out of [0, 1]); each such record gets the ' +
        "topology's fallback score and the reason code, never the bad value. Decisions made on the fallback are " +
        'not the model’s.',
      commands: [
        `${kill}   # the rollback target serves at every worker's next batch boundary`,
        `${status}   # every worker applied it`,
        `fraudscore models verify --registry ${t.model.registry}`,
      ],
      look: "The scores' `model_version` and `route`: the champion, or the challenger of a rollout (whose gate rolls it back by itself).",
      act: 'Kill first, then find out what the model does with these inputs (`FEATURE_IMPUTED` codes, feature drift) before turning the kill switch off.',
    },
    {
      alerts: ['FraudscoreBatchLatencyBudgetBurn'],
      means:
        "More batches than the contract's 1 % take longer than its p99 from close to commit: the services that block, " +
        'review or approve get these scores late.',
      commands: [`${status}   # a challenger in shadow or rollout is scored in every batch too`],
      look:
        "The dashboard's stage latency: `features` (Redis: its CPU, `redis-cli --latency`), `model` (the scores' " +
        '`model_latency_ms` per model), `commit` (the brokers).',
      act:
        `A slow challenger: \`fraudscore shadow stop -t ${file}\`, or \`fraudscore rollout pause -t ${file} --reason "<why>"\`. ` +
        `Redis or the brokers saturated: relieve them; smaller batches shorten each one: \`fraudscore control set -t ${file} ` +
        'batch.maxRecords=500 --reason "<why>"` (at some cost in throughput).',
    },
    {
      alerts: ['FraudscoreAvailabilityBudgetBurn'],
      means:
        'Batches fail and are retried (nothing is lost or scored twice: an aborted batch is scored again, in a new ' +
        'transaction), often enough to spend the month’s availability budget; scores come late meanwhile.',
      commands: [status],
      look:
        '`fraudscore_errors_total` by `stage` and the workers’ `batch failed; retrying` lines: `decode` (the schema ' +
        'registry), `align` (Redis, the brokers’ end offsets), `score` (Redis, the model), `commit` (the brokers, ' +
        'transactions).',
      act: 'Mend the dependency the stage names. Refused batches after Redis lost data page as `FraudscoreFeatureStateLost`.',
    },
    {
      alerts: ['FraudscoreWorkerDown'],
      means:
        'A worker does not answer `/metrics`. Its partitions go to the other workers of the consumer group once its ' +
        'session times out; what it had not committed is scored again by them, exactly once.',
      commands: [`fraudscore lint ${file}   # the topology and the model its workers would load`],
      look:
        "Its orchestrator's status and the worker's last log lines: a start-up error names the field or service and " +
        'the fix; `fatal error; this instance stops` names the cause (a control topic created again ends a worker on ' +
        'purpose, to be restarted into it).',
      act: 'Fix the cause the log names and restart it; the others carry its partitions meanwhile.',
    },
    {
      alerts: ['FraudscoreWorkerNotReady'],
      means:
        'A worker answers but has not been ready for 10 minutes. Depending on the reason its `/healthz` names: its ' +
        'partitions are not scored (batches failing, a step stuck; their records wait in the input topic, nothing is ' +
        'lost), or it scores while control changes, the kill switch included, do not reach it or were refused, or it ' +
        'is still starting and holds no partitions.',
      commands: [
        `curl -s http://<worker host>:${t.metrics.port}/healthz   # 503, with the reason`,
        `${status}   # each worker's applied version, and a change it refused with the reason`,
      ],
      look:
        "The reason in its `/healthz` and its log's warnings. Alerts that name a cause often fire beside it: " +
        '`FraudscoreAvailabilityBudgetBurn` (batches failing), `FraudscoreFeatureStateLost`, ' +
        '`FraudscoreControlReaderSilent`, `FraudscoreControlVersionBehind`.',
      act:
        'Mend what the reason names (a dependency out, a model the worker cannot load, a broker or ACL that keeps its ' +
        'group coordinator from it). A not-ready worker retries and resumes by itself: restarting it only moves its ' +
        'partitions to the others.',
    },
    {
      alerts: ['FraudscoreEvaluatorDown'],
      means:
        'The delayed-label evaluator is down: no live model metrics, and `FraudscoreOfflineOnlineMismatch` is silent, ' +
        'not green. Scoring is not affected.',
      commands: [`fraudscore evaluate -t ${file}   # rebuilds its figures from the topics at every start`],
      look: "Its log's last lines.",
      act: 'Restart it; nothing is lost (it commits nothing and rereads the topics).',
    },
    {
      alerts: ['FraudscoreDeadLetterRate', 'FraudscoreDeadLetterRateCritical'],
      means:
        `Producers send more records the contract rejects: each gets a dead letter on \`${t.topics.deadLetter}\` with ` +
        'its reason, a detail naming the field, the source partition and offset, and the original key and value; ' +
        'those payments are not scored.',
      commands: [`fraudscore docs contract -t ${file}   # the input contract and every dead-letter reason`],
      look:
        "The dashboard's dead letters by reason; the dead letters themselves (any Confluent-compatible Avro consumer). " +
        'A sudden jump: a producer release. `WRONG_SCHEMA`: see `FraudscoreUnreadableSchemaVersions`. ' +
        '`DUPLICATE_TRANSACTION`: a producer resending.',
      act:
        'Send the producing team the reason and a few dead letters. Once fixed, they produce the corrected records ' +
        'again (the dead letters hold the originals).',
    },
    {
      alerts: ['FraudscoreUnreadableSchemaVersions'],
      means:
        'A schema subject the workers read holds a version the contract cannot read; records written with it are ' +
        'dead-lettered `WRONG_SCHEMA`.',
      commands: [`fraudscore docs contract -t ${file}   # what the contract reads`],
      look: 'The workers log each such version, its schema id and the field at fault, with the DELETE request that removes it.',
      act:
        'If a producer still writes with it, have it move to a version the contract reads; if none does, delete the ' +
        'version from the subject. The alert clears within minutes.',
    },
    {
      alerts: ['FraudscoreConsumerLag'],
      means:
        'The workers do not keep up with the input: every score comes later by the lag over the throughput, and ' +
        'the decisions downstream wait for it.',
      commands: [`${status}   # the workers, and whether each applies the latest change`],
      look:
        'Lag per partition and the batch latency on the dashboard; whether scoring is paused (`FraudscoreFeatureStateLost`) ' +
        'or failing (`FraudscoreAvailabilityBudgetBurn`).',
      act:
        'Add workers, up to one per input partition (the KEDA scaler does it on lag, up to `maxReplicaCount`). Beyond ' +
        "that, see the README's sizing. Full batches cost least per record: " +
        `\`fraudscore control set -t ${file} batch.maxRecords=1000 --reason "<why>"\`.`,
    },
    {
      alerts: ['FraudscoreLabelsQuiet'],
      means:
        `No recent fraud label reaches the feature state from \`${t.topics.labels}\`. The terminal risk features count ` +
        'only the labels there, so they sink towards 0 and the scores with them; when the reports arrive late, the ' +
        'backfill counts them and the online features did not (training/serving skew). The evaluation stops too.',
      commands: [],
      look:
        'The labels producer, and whether the end offsets of the labels topic move; `fraudscore_labels_ingested_total` ' +
        'and `fraudscore_newest_taken_time_seconds` per worker.',
      act:
        'Restore the labels feed. Scores made meanwhile carry the features they were made with; weigh a retrain ' +
        'window that avoids the gap.',
    },
    {
      alerts: ['FraudscoreFeatureDrift', 'FraudscoreFeatureDriftCritical'],
      means:
        "A feature's live distribution moved away from the serving model card's reference (PSI): the model sees " +
        'inputs unlike its training data, and its scores may be wrong without any error.',
      commands: [`fraudscore report evaluation -t ${file} --out reports   # quality on matured labels, by day`],
      look:
        'The PSI heat map (one feature, or all at once?), `FEATURE_IMPUTED` reason codes (a field now missing), ' +
        'the upstream release calendar.',
      act:
        'An upstream change (a unit, a default, a field): have it fixed upstream. A real change in the population: ' +
        'train a new version on recent data, shadow it and roll it out.',
    },
    {
      alerts: ['FraudscoreScoreQuantileShift', 'FraudscoreScoreDrift'],
      means:
        'The scores moved: at fixed thresholds the review queue and the blocks grow or shrink with them (p99 sets ' +
        'the review queue’s size).',
      commands: [`fraudscore control history -t ${file}   # a model, rollout or kill switch change in the last day?`],
      look: 'Feature drift at the same time; decisions per second by model version and route on the dashboard.',
      act:
        'An intended model change: expected, acknowledge it. Otherwise treat it as drift; if the alert rate is ' +
        "beyond what the reviewers can take, the kill switch brings back the rollback target's scores.",
    },
    {
      alerts: ['FraudscoreOfflineOnlineMismatch'],
      means:
        'On matured labels the serving model performs unlike its card’s held-out figure, beyond sampling error. ' +
        'Below: leakage in training, or features computed differently online (skew). Above: an easier population, ' +
        'or labels arriving selectively.',
      commands: [
        `fraudscore report evaluation -t ${file} --out reports   # the figures per day, against the card`,
        `fraudscore backfill -t ${file} --events topic: --labels topic: --out reports/from-topics.parquet   # the features as training computes them`,
      ],
      look: "Compare the scores' logged features with the backfill's for the same transactions: a feature that differs is the skew.",
      act: 'Hold rollouts of models trained the same way until it is explained; retrain once the cause is mended.',
    },
  ];
}
