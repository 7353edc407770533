/**
 * The dashboard, in the main region; the WAF and CloudFront widgets read us-east-1. What an alarm
 * watches is graphed from its alarm table record, and the alarms are the ones made from it.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import {
  METRIC,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  REASON_DIMENSION,
  SERVICE_DIMENSION,
} from '../../lambda/core/metric-names';
import { type AlarmKey, type AlarmMetric, alarmSpec } from './alarm-table';
import type { Alerting } from './alerting';
import { EDGE_METRICS_REGION, type FunctionSignals, type Signals } from './signals';

/** The dashboard, in the main region; the WAF and CloudFront widgets read us-east-1. */
export function dashboard(
  scope: Construct,
  alerting: Alerting,
  signals: Signals,
  edgeAlarmsHere: boolean,
): cloudwatch.Dashboard {
  const { app, edge } = signals;
  const authFailure = alerting.alarmsByKey.authFailureSpike;
  if (authFailure === undefined) throw new Error('dashboard: the auth-failure alarm must exist first');
  /** The series alarm `key` watches (for a per-function alarm, `fn`'s). */
  const watched = (key: AlarmKey, fn?: FunctionSignals): AlarmMetric => {
    const spec = alarmSpec(key);
    if (spec.scope === 'main') return spec.metric(signals, alerting.settings[key]);
    if (spec.scope === 'edge') {
      const metric = spec.metric(edge);
      if (metric === undefined) throw new Error(`dashboard: ${key} has no metric here`);
      return metric;
    }
    if (spec.scope === 'edgeRevocation') {
      if (signals.edgeRevocation === undefined) throw new Error(`dashboard: ${key} needs edge revocation`);
      return spec.metric(signals.edgeRevocation);
    }
    if (fn === undefined) throw new Error(`dashboard: ${key} is per function`);
    return spec.metric(fn);
  };
  const period = Duration.minutes(5);
  const graph = (
    title: string,
    left: cloudwatch.IMetric[],
    extra: Partial<cloudwatch.GraphWidgetProps> = {},
  ): cloudwatch.GraphWidget => new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period, ...extra });
  const labelled = (metric: AlarmMetric, label: string): cloudwatch.IMetric => metric.with({ label });
  return new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: alerting.name,
    defaultInterval: Duration.hours(3),
    widgets: [
      [
        graph(
          'Playback requests (authorized + denied)',
          [
            labelled(app.authorized, 'authorized'),
            labelled(app.denied, 'denied'),
            new cloudwatch.MathExpression({
              expression: 'FILL(authorized, 0) + FILL(denied, 0)',
              usingMetrics: { authorized: app.authorized, denied: app.denied },
              label: 'requests',
            }),
          ],
          { width: 12 },
        ),
        graph(
          'Denied by reason',
          [
            // Every Reason series there is, the API error codes included, without listing them here.
            new cloudwatch.MathExpression({
              expression: `SEARCH('{${METRICS_NAMESPACE},${REASON_DIMENSION},${SERVICE_DIMENSION}} MetricName="${METRIC.denied}" ${SERVICE_DIMENSION}="${METRICS_SERVICE}"', 'Sum', ${period.toSeconds()})`,
              usingMetrics: {},
              label: '',
            }),
          ],
          { width: 12, stacked: true },
        ),
      ],
      [
        new cloudwatch.AlarmWidget({ title: 'Auth failure ratio (alarm)', alarm: authFailure, width: 8, height: 6 }),
        graph(`${METRIC.latency} (ms) p50 / p99`, [
          app.latency.with({ statistic: 'p50', label: 'p50' }),
          app.latency.with({ statistic: 'p99', label: 'p99' }),
        ]),
        graph('Revoked-token reuse, sharing, store errors', [
          labelled(watched('revokedTokenReuse'), METRIC.revokedTokenReuse),
          labelled(watched('tokenSharingSuspected'), METRIC.sharingSuspected),
          labelled(watched('revocationStoreErrors'), METRIC.storeError),
          // Not alarmed: a failed prune costs write units, never a viewer's call.
          labelled(app.pruneFailed, METRIC.pruneFailed),
        ]),
      ],
      [
        graph('API 5xx', [labelled(watched('api5xx'), '5xx')]),
        graph(
          'Lambda errors',
          signals.functions.map((fn) => labelled(watched('lambdaErrors', fn), fn.name)),
        ),
        graph(
          'Lambda throttles',
          signals.functions.map((fn) => labelled(watched('lambdaThrottles', fn), fn.name)),
        ),
      ],
      [
        graph('Licences', [
          labelled(app.licenceIssued, 'issued'),
          labelled(app.licenceDenied, 'denied (viewer)'),
          labelled(watched('licenceUpstreamFailures'), 'licence server failed'),
        ]),
        graph(
          'Licence server failures by reason',
          [
            new cloudwatch.MathExpression({
              expression: `SEARCH('{${METRICS_NAMESPACE},${REASON_DIMENSION},${SERVICE_DIMENSION}} MetricName="${METRIC.licenceUpstreamFailed}" ${SERVICE_DIMENSION}="${METRICS_SERVICE}"', 'Sum', ${period.toSeconds()})`,
              usingMetrics: {},
              label: '',
            }),
          ],
          { stacked: true },
        ),
        graph(`${METRIC.licenceUpstreamLatency} (ms) p50 / p99`, [
          app.licenceUpstreamLatency.with({ statistic: 'p50', label: 'p50' }),
          app.licenceUpstreamLatency.with({ statistic: 'p99', label: 'p99' }),
        ]),
      ],
      // The title rules' refusals (step-up, rentals), by their PlaybackDenied Reason.
      [
        graph('Step-up and rentals: refusals', [
          labelled(watched('stepUpRefusalSpike'), 'step_up_required'),
          labelled(app.rentalExpired, 'rental_expired'),
          labelled(app.tooManyRentals, 'too_many_rentals'),
        ]),
      ],
      [
        graph('DynamoDB throttles (revocation table)', [watched('dynamoDbThrottles')]),
        ...(edge.wafAllowed === undefined
          ? []
          : [
              graph(
                `WAF requests (${EDGE_METRICS_REGION})`,
                [labelled(watched('wafBlockedRequests'), 'blocked'), labelled(edge.wafAllowed, 'allowed')],
                { region: EDGE_METRICS_REGION },
              ),
            ]),
        graph(
          `CloudFront error rates % (${EDGE_METRICS_REGION})`,
          [labelled(watched('cloudFront4xxRate'), '4xx'), labelled(watched('cloudFront5xxRate'), '5xx')],
          {
            region: EDGE_METRICS_REGION,
          },
        ),
      ],
      ...(Object.keys(edge.refusals).length === 0
        ? []
        : [
            [
              graph(
                `Edge refusals (${EDGE_METRICS_REGION})`,
                [
                  ...(edge.refusals['foreign-site'] === undefined
                    ? []
                    : [labelled(watched('edgeForeignSiteRefusals'), 'foreign site')]),
                  ...(edge.refusals.device === undefined ? [] : [labelled(watched('edgeDeviceRefusals'), 'device')]),
                ],
                { region: EDGE_METRICS_REGION },
              ),
            ],
          ]),
      ...(signals.edgeRevocation === undefined
        ? []
        : [
            [
              graph('Edge deny-list writes', [
                labelled(signals.edgeRevocation.entriesWritten, 'entries written'),
                labelled(watched('denyListWritesFailed'), 'records failed'),
                labelled(watched('denyListFailedRecords'), 'in on-failure queue'),
              ]),
              graph('Edge deny-list stream lag (ms, max)', [labelled(watched('denyListStreamLag'), 'iterator age')]),
              graph('Edge deny-list size (bytes of 5 MB)', [labelled(watched('denyListStoreSize'), 'store bytes')]),
            ],
          ]),
      [
        new cloudwatch.AlarmStatusWidget({
          title: edgeAlarmsHere ? 'Alarms' : `Alarms (the WAF and CloudFront alarms are in ${EDGE_METRICS_REGION})`,
          alarms: Object.values(alerting.alarms),
          width: 24,
          height: 4,
        }),
      ],
    ],
  });
}
