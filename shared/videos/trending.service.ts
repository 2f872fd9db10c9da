import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import { trendingComponents } from "./trending.js";
import type { VideoRepository } from "./video.repository.js";

const BATCH = 500;
/** The head of the shorts feed is recomputed on every pass, so recency keeps moving it. */
const HEAD = 200;

/** Trending scores of shorts: incremental (changed videos + feed head) every few minutes, full weekly. */
export class TrendingService {
  constructor(private readonly videos: VideoRepository) {}

  /** Recomputes flagged shorts in batches, then the current head of the feed. */
  async recomputeChanged(now = new Date(), maxBatches = 20): Promise<{ updated: number }> {
    let updated = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const docs = await this.videos.findNeedingTrendingUpdate(BATCH);
      await this.videos.setTrendingScores(docs.map((doc) => ({ id: doc._id, userId: doc.userId, score: doc.status === "ready" && !doc.isDeleted ? trendingComponents(doc, now).score : 0 })));
      updated += docs.length;
      if (docs.length < BATCH) break;
    }
    const head = await this.videos.shortsForNormalisation(HEAD);
    await this.videos.setTrendingScores(head.map((doc) => ({ id: doc._id, userId: doc.userId, score: trendingComponents(doc, now).score })));
    return { updated: updated + head.length };
  }

  /** The weekly full pass (seed: `needsTrendingUpdate` on every short, then recompute). */
  async recomputeAll(now = new Date()): Promise<{ flagged: number; updated: number }> {
    const flagged = await this.videos.flagAllShorts();
    const { updated } = await this.recomputeChanged(now, Number.MAX_SAFE_INTEGER);
    return { flagged, updated };
  }

  weeklyTask(): MaintenanceTask {
    return { name: "videos.trending-full", period: "weekly", run: (now) => this.recomputeAll(now) };
  }
}
