/**
 * Run as a child process by test/infra/dynamodb-local.test.ts: starts
 * DynamoDB Local, stops it, and prints what still keeps this process alive
 * (`process.getActiveResourcesInfo()`: ref'd timers, sockets, child processes).
 */
import { startDynamoDbLocal } from '../../../infra/local/dynamodb-local.js';
import { freePort } from '../../../infra/local/free-port.js';

const dynamo = await startDynamoDbLocal({ port: await freePort() });
await dynamo.stop();
console.log(JSON.stringify({ stopped: true, active: process.getActiveResourcesInfo() }));
