import type { App } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EventSelector } from '../rules/core/types.ts';
import type { TrailwardenConfig } from './config.ts';
import { forwarderPatternsFor, GLOBAL_EVENTS_REGION } from './event-patterns.ts';
import { ForwarderStack } from './stacks/forwarder-stack.ts';
import { TrailwardenStack } from './stacks/trailwarden-stack.ts';

export interface TrailwardenStacks {
  readonly main: TrailwardenStack;
  /** Absent when the home region is us-east-1 itself, or no rule watches a global service. */
  readonly forwarder?: ForwarderStack;
}

/**
 * Both stacks, wired from one config, with cdk-nag's AwsSolutions pack as a synth-time validation: an
 * unacknowledged finding fails `cdk synth`. Kept apart from `app.ts` (which reads the file and context)
 * so tests build the same app.
 */
export const buildTrailwarden = (
  app: App,
  config: TrailwardenConfig,
  selectors: readonly EventSelector[],
  options: { readonly nag?: boolean } = {},
): TrailwardenStacks => {
  // Nothing to forward while no rule watches a global service, or when home is us-east-1 itself.
  const forward = config.homeRegion !== GLOBAL_EVENTS_REGION && forwarderPatternsFor(selectors).length > 0;
  const main = new TrailwardenStack(app, 'Trailwarden', {
    ...(config.account || config.homeRegion ? { env: { account: config.account, region: config.homeRegion } } : {}),
    config,
    selectors,
    acceptForwardedEvents: forward,
    ...(options.nag === undefined ? {} : { nag: options.nag }),
  });
  const forwarder = forward
    ? new ForwarderStack(app, 'TrailwardenForwarder', {
        env: { account: config.account, region: GLOBAL_EVENTS_REGION },
        selectors,
        alerts: config.alerts,
        ...(config.homeRegion ? { homeRegion: config.homeRegion } : {}),
        ...(config.breakGlassRoleArn ? { breakGlassRoleArn: config.breakGlassRoleArn } : {}),
      })
    : undefined;
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return forwarder ? { main, forwarder } : { main };
};
