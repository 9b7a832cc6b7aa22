import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { EVALUATE_SERVICE, NAMESPACE } from '../../functions/shared/telemetry.ts';
import { SEVERITIES } from '../../rules/core/types.ts';
import { PipelinePart } from './logical-ids.ts';

export interface MonitoringProps {
  /** Where every alarm pages. */
  readonly alarmTopic: sns.ITopic;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly evaluateFunction: LambdaFunction;
  readonly healthFunction: LambdaFunction;
  readonly digestFunction: LambdaFunction;
}

/**
 * The pipeline watching itself: alarms on its queues and functions, all paging the alarm topic, and the
 * operator dashboard. A part that brings a function of its own adds its alarm with `addAlarm`; the
 * dashboard's alarm widget shows every alarm added, whenever.
 */
export class Monitoring extends PipelinePart {
  /** Every pipeline alarm, including those added later with `addAlarm`. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The operator view: traffic, findings, queues, the function, and the alarms' state. */
  readonly dashboard: cloudwatch.Dashboard;
  private readonly alarmList: cloudwatch.Alarm[] = [];
  private readonly alarmTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.alarmTopic = props.alarmTopic;
    this.alarms = this.alarmList;
    this.addAlarm(
      'DeadLetterQueueNotEmpty',
      'Trailwarden: events failed evaluation five times or could not be delivered; inspect and redrive the DLQ.',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      0,
    );
    this.addAlarm(
      'EvaluateErrors',
      'Trailwarden: the evaluate function failed (init error, timeout or crash); findings may be delayed.',
      props.evaluateFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      0,
    );
    this.addAlarm(
      'EventQueueBacklog',
      'Trailwarden: the oldest queued event is over 5 minutes old; detection is falling behind.',
      props.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
      300,
    );
    this.addAlarm(
      'HealthErrors',
      'Trailwarden: a health run failed (a finding or a resolved notice could not be delivered); trail and silence checks may be blind.',
      props.healthFunction.metricErrors({ period: Duration.minutes(15), statistic: 'Sum' }),
      0,
    );
    this.addAlarm(
      'DigestErrors',
      'Trailwarden: an hourly digest run failed; that hour has no digest and its evidence is not chained until it is written.',
      props.digestFunction.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
      0,
    );
    this.dashboard = this.buildDashboard(props);
  }

  /** An alarm on `metric > threshold` (one period; missing data is not breaching) that pages the alarm topic. */
  addAlarm(id: string, description: string, metric: cloudwatch.IMetric, threshold: number): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
    this.alarmList.push(alarm);
    return alarm;
  }

  /** No name: CloudFormation generates one, so two stacks in one account never collide. */
  private buildDashboard(props: MonitoringProps): cloudwatch.Dashboard {
    const period = Duration.minutes(5);
    const emf = (metricName: string, label: string, dimensions: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: NAMESPACE,
        metricName,
        dimensionsMap: { service: EVALUATE_SERVICE, ...dimensions },
        statistic: 'Sum',
        period,
        label,
      });
    // Per-rule metrics have one dimension value per rule: SEARCH graphs whichever rules produced data.
    const perRule = (metricName: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${NAMESPACE},service,ruleId} service="${EVALUATE_SERVICE}" MetricName="${metricName}"', 'Sum', ${period.toSeconds()})`,
        label: '',
        period,
      });
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: [
          '## Trailwarden health',
          'Every alarm below pages the alarm topic (every configured endpoint, unfiltered). What each one means and what to do: the **On call** section of the Trailwarden README.',
        ].join('\n\n'),
        width: 12,
        height: 4,
      }),
      // The live list: the widget reads it when the dashboard is synthesised, so later alarms show too.
      new cloudwatch.AlarmStatusWidget({ title: 'Pipeline alarms', alarms: this.alarmList, width: 12, height: 4 }),
    );
    dashboard.addWidgets(
      graph(
        'Events in',
        [emf('EventsIn', 'evaluated (EMF EventsIn)')],
        [props.queue.metricNumberOfMessagesReceived({ period, statistic: 'Sum', label: 'SQS messages received' })],
      ),
      graph(
        'Findings by severity',
        SEVERITIES.map((severity) => emf('FindingsBySeverity', severity, { severity })),
      ),
      graph('Pipeline failures', [
        emf('MalformedRecords', 'malformed records'),
        emf('DeliveryFailures', 'findings not delivered'),
        emf('FailedRecords', 'records retried'),
      ]),
    );
    dashboard.addWidgets(
      graph('Findings per rule', [perRule('Findings')]),
      graph('Suppressed per rule (archived, not paged)', [perRule('Suppressed')]),
      graph('Rule errors per rule', [perRule('RuleErrors')]),
    );
    dashboard.addWidgets(
      graph('Dead-letter queue depth', [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
          label: 'DLQ messages visible',
        }),
      ]),
      graph('Age of oldest queued event (s)', [
        props.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum', label: 'oldest message age' }),
      ]),
      graph(
        'Evaluate function',
        [
          props.evaluateFunction.metricErrors({ period, statistic: 'Sum', label: 'errors' }),
          props.evaluateFunction.metricThrottles({ period, statistic: 'Sum', label: 'throttles' }),
        ],
        [
          props.evaluateFunction.metricDuration({ period, statistic: 'p99', label: 'duration p99 (ms)' }),
          props.evaluateFunction.metricDuration({ period, statistic: 'Average', label: 'duration avg (ms)' }),
        ],
      ),
    );
    return dashboard;
  }
}
