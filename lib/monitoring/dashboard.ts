/**
 * The dashboard, in the main region; the WAF and CloudFront widgets read us-east-1.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, REASON_DIMENSION, SERVICE_DIMENSION } from '../../lambda/core/metric-names';
import { EDGE_METRICS_REGION, type Signals } from './signals';

/** The dashboard, in the main region; the WAF and CloudFront widgets read us-east-1. */
export function dashboard(scope: Construct, name: string, signals: Signals, authFailure: cloudwatch.Alarm, alarms: cloudwatch.IAlarm[], edgeAlarmsHere: boolean): cloudwatch.Dashboard {
  const { app, edge } = signals;
  const period = Duration.minutes(5);
  const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}): cloudwatch.GraphWidget =>
    new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period, ...extra });
  const labelled = (metric: cloudwatch.Metric, label: string): cloudwatch.Metric => metric.with({ label });
  return new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: name,
    defaultInterval: Duration.hours(3),
    widgets: [
      [
        graph(
          'Playback requests (authorized + denied)',
          [
            labelled(app.authorized, 'authorized'),
            labelled(app.denied, 'denied'),
            new cloudwatch.MathExpression({ expression: 'FILL(authorized, 0) + FILL(denied, 0)', usingMetrics: { authorized: app.authorized, denied: app.denied }, label: 'requests' }),
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
        graph(`${METRIC.latency} (ms) p50 / p99`, [app.latency.with({ statistic: 'p50', label: 'p50' }), app.latency.with({ statistic: 'p99', label: 'p99' })]),
        graph('Revoked-token reuse, sharing, store errors', [
          labelled(app.revokedTokenReuse, METRIC.revokedTokenReuse),
          labelled(app.sharingSuspected, METRIC.sharingSuspected),
          labelled(app.storeError, METRIC.storeError),
        ]),
      ],
      [
        graph('API 5xx', [labelled(signals.apiServerErrors, '5xx')]),
        graph('Lambda errors', signals.functions.map((fn) => labelled(fn.errors, fn.name))),
        graph('Lambda throttles', signals.functions.map((fn) => labelled(fn.throttles, fn.name))),
      ],
      [
        graph('DynamoDB throttles (revocation table)', [signals.tableThrottles]),
        graph(`WAF requests (${EDGE_METRICS_REGION})`, [labelled(edge.wafBlocked, 'blocked'), labelled(edge.wafAllowed, 'allowed')], { region: EDGE_METRICS_REGION }),
        graph(`CloudFront error rates % (${EDGE_METRICS_REGION})`, [labelled(edge.cloudFront4xx, '4xx'), labelled(edge.cloudFront5xx, '5xx')], { region: EDGE_METRICS_REGION }),
      ],
      [
        new cloudwatch.AlarmStatusWidget({
          title: edgeAlarmsHere ? 'Alarms' : `Alarms (the WAF and CloudFront alarms are in ${EDGE_METRICS_REGION})`,
          alarms,
          width: 24,
          height: 4,
        }),
      ],
    ],
  });
}
