import type { ReactNode } from "react";
import type { SSEClient, Status } from "./index.js";

export declare function SSEProvider(props: { client: SSEClient; children?: ReactNode }): ReactNode;
export declare function useSSEClient(): SSEClient;
export declare function useTopic<T = unknown>(topic: string, event?: string): T | null;
export declare function useConnectionStatus(): Status;

export interface JobState {
  id: string;
  label: string;
  status: string;
  percent: number | null;
  stage: string;
  message: string;
  result: unknown;
  error: string;
  cancel_requested: boolean;
  elapsed: number;
}
export declare function useProgress(id: string | null | undefined): JobState | null;

export interface Notification {
  id: number;
  title: string;
  body: string;
  level: string;
  url: string;
  data: unknown;
  created_at: string;
  read: boolean;
}
export declare function useNotifications(options: { topic: string }): {
  items: Notification[];
  unreadCount: number;
};
