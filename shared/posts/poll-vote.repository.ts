import type { Collection, Db, ObjectId } from "mongodb";
import { isDuplicateKeyError } from "../social/duplicate-key.js";

export interface PollVoteDoc {
  postId: ObjectId;
  pollVersion: number;
  userId: string;
  optionIds: string[];
  createdAt: Date;
}

/** The only code that touches `pollVotes`: one ballot per user per version of a poll's options. */
export class PollVoteRepository {
  private readonly votes: Collection<PollVoteDoc>;

  constructor(db: Db) {
    this.votes = db.collection<PollVoteDoc>("pollVotes");
  }

  /** Stores the ballot; false when the user already voted on this version (a retry or a second vote). */
  async insert(vote: PollVoteDoc): Promise<boolean> {
    try {
      await this.votes.insertOne({ ...vote });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Withdraws a ballot that could not be counted (the options changed or the poll closed meanwhile). */
  async remove(postId: ObjectId, pollVersion: number, userId: string): Promise<void> {
    await this.votes.deleteOne({ postId, pollVersion, userId });
  }

  async find(postId: ObjectId, pollVersion: number, userId: string): Promise<PollVoteDoc | null> {
    return this.votes.findOne({ postId, pollVersion, userId });
  }

  /** Ballots of a version (tests and counter repair). */
  async all(postId: ObjectId, pollVersion: number): Promise<PollVoteDoc[]> {
    return this.votes.find({ postId, pollVersion }).toArray();
  }
}
