import { startApi, type ApiServer } from "../../api/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall, type ApiResponse } from "../helpers/http.js";

export type { ApiResponse } from "../helpers/http.js";

/** A real HTTP client against an in-process API on a random port. */
export class ApiClient {
  private constructor(
    private readonly server: ApiServer,
    readonly baseUrl: string,
  ) {}

  static async start(platform: Platform, services: Services): Promise<ApiClient> {
    const server = await startApi(platform, services, 0);
    return new ApiClient(server, `http://127.0.0.1:${server.port}`);
  }

  /** Sends a request; `body` is JSON-encoded unless it is already a string (raw, for malformed input). */
  async call(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<ApiResponse> {
    return httpCall(this.baseUrl, method, path, options);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
