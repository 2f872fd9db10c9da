import { randomUUID } from "node:crypto";
import type { SendMessageInput } from "../../shared/chat/chat.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { createTestUser, type TestUser } from "../helpers/users.js";

/** `n` real users (registered, with profiles and live sessions). */
export async function makeUsers(services: Services, n: number): Promise<TestUser[]> {
  const users: TestUser[] = [];
  for (let i = 0; i < n; i++) users.push(await createTestUser(services));
  return users;
}

/** A fresh client message id, as a device would make one. */
export const clientId = (): string => `c-${randomUUID()}`;

/** A text message send input. */
export function textMessage(conversationId: string, text: string, extra: Partial<SendMessageInput> = {}): SendMessageInput {
  return { conversationId, clientMessageId: clientId(), content: { type: "text", text }, ...extra };
}

/** Calls an HTTP route of an API at `base` with a bearer token; answers status and parsed body. */
export async function call<T = Record<string, unknown>>(
  base: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  return httpCall<T>(base, method, path, { token, body });
}
