import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from './dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** DynamoDB Local endpoint shared by the whole run: use `dynamoClient(inject('dynamoEndpoint'))`. */
    dynamoEndpoint: string;
  }
}

/** vitest globalSetup: one DynamoDB Local for the whole run (~1–2 s), stopped at teardown. */
export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  if (process.env.TRAILWARDEN_DEBUG_DYNAMO) {
    console.log(`DynamoDB Local ready on ${dynamo.endpoint} in ${dynamo.startupMs} ms`);
  }
  return async () => {
    await dynamo.stop();
  };
}
