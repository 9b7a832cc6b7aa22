import { createHash } from 'node:crypto';
import { CfnElement, Names, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Construct } from 'constructs';

/**
 * The pipeline is composed of named parts (keys, evidence, alerting, detection, health, monitoring), but a
 * deployed stack must never see a resource replaced because code moved into a part: a new logical id makes
 * CloudFormation create a second resource and delete the first, which for the Object-Lock bucket, the table,
 * the keys or the queues loses data; for a bucket, queue or topic policy leaves the resource without one (the
 * old policy's delete runs after the new one's put); for an email subscription needs a new confirmation; and
 * for the SQS event source mapping fails (Lambda allows one mapping per queue and function). So parts are
 * transparent to logical ids, as CDK's `Default` id is: every element gets the id it would have without the
 * parts in its path.
 */

/** CDK's logical id for construct ids below the stack (aws-cdk-lib `makeUniqueId`, which the package does not export). */
export const cdkLogicalId = (components: readonly string[]): string => {
  const path = components.filter((c) => c !== 'Default');
  if (path.length === 0) throw new Error('no path components to make a logical id of');
  const alphanumeric = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  if (path.length === 1) {
    const candidate = alphanumeric(path[0] as string);
    if (candidate.length <= 255) return candidate;
  }
  const hash = createHash('md5').update(path.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const c of path) if (human.length === 0 || !(human[human.length - 1] as string).endsWith(c)) human.push(c);
  return (
    human
      .filter((c) => c !== 'Resource')
      .map(alphanumeric)
      .join('')
      .slice(0, 240) + hash
  );
};

/**
 * A named part of the pipeline. Parts are transparent to logical ids (see above): subclass this for a new part
 * and `keepLogicalIds` gives its resources the ids they would have as direct children of the pipeline.
 */
export class PipelinePart extends Construct {}

/** Scopes of `c` without the parts. */
const visibleScopes = (c: IConstruct): IConstruct[] => c.node.scopes.filter((s) => !(s instanceof PipelinePart));

/** `Names.nodeUniqueId` of every construct inside a part → what it is without the parts in its path. */
const uniqueIdTranslations = (root: IConstruct): Map<string, string> => {
  const out = new Map<string, string>();
  for (const c of root.node.findAll()) {
    const scopes = visibleScopes(c);
    if (scopes.length === c.node.scopes.length) continue;
    out.set(Names.nodeUniqueId(c.node), cdkLogicalId(scopes.slice(1).map((s) => s.node.id)));
  }
  return out;
};

const flatId = (element: CfnElement, translations: ReadonlyMap<string, string>): string => {
  const stack = Stack.of(element);
  const scopes = visibleScopes(element);
  // Construct ids that CDK derives from another construct's unique id (`SqsEventSource:<queue>`,
  // `AllowEventRule<rule>`) are translated too.
  const translate = (id: string): string => {
    let out = id;
    for (const [now, before] of translations) if (out.includes(now)) out = out.replaceAll(now, before);
    return out;
  };
  return cdkLogicalId(scopes.slice(scopes.indexOf(stack) + 1).map((s) => translate(s.node.id)));
};

/**
 * The logical id `element` has once `keepLogicalIds` ran on its pipeline: for ids spelled at build time (cdk-nag
 * acknowledgements name resources by logical id).
 */
export const finalLogicalId = (element: CfnElement): string => flatId(element, uniqueIdTranslations(Stack.of(element)));

/**
 * Gives every CloudFormation element under `root` the logical id it would have without the parts in its path.
 * Throws when two elements would end up with one id.
 */
export const keepLogicalIds = (root: IConstruct): void => {
  const translations = uniqueIdTranslations(Stack.of(root));
  const seen = new Map<string, string>();
  const elements = root.node.findAll().filter((c): c is CfnElement => c instanceof CfnElement);
  const inPart = (c: CfnElement) => visibleScopes(c).length !== c.node.scopes.length;
  for (const c of elements) if (!inPart(c)) seen.set(Stack.of(c).getLogicalId(c), c.node.path);
  for (const c of elements) {
    if (!inPart(c)) continue;
    const id = flatId(c, translations);
    const other = seen.get(id);
    if (other !== undefined) throw new Error(`${c.node.path} and ${other} would both have logical id ${id}`);
    seen.set(id, c.node.path);
    c.overrideLogicalId(id);
  }
};
