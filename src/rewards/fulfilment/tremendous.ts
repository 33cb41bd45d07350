import {
  Configuration,
  type ListRewards200ResponseRewardsInnerValueCurrencyCodeEnum,
  OrdersApi,
} from 'tremendous';
import type { FulfilmentProvider, PayoutResult } from './types.ts';

interface HttpFailure {
  response?: { status?: number; data?: { errors?: { message?: unknown } } };
  message?: unknown;
}

function failure(error: unknown): PayoutResult {
  const { response, message } = (typeof error === 'object' && error !== null ? error : {}) as HttpFailure;
  const status = response?.status;
  const words = response?.data?.errors?.message;
  const text = typeof words === 'string' ? words : typeof message === 'string' ? message : String(error);
  // 402 (funds) and 401 (key) need a person to act first; they are retried by hand.
  const retryable = status === undefined || status === 429 || status >= 500;
  return { outcome: 'failed', reason: `Tremendous${status ? ` (${status})` : ''}: ${text}`, retryable };
}

/**
 * A Tremendous order for the recipient's email, with the program's product and funding
 * source. `external_id` is the reward ID: Tremendous answers an order already placed with
 * it (201) instead of placing a second one, and stores nothing for a refused order, so a
 * retry after funds are added places exactly one.
 */
export const tremendousProvider: FulfilmentProvider = {
  method: 'tremendous',
  pay: async ({ ctx, reward, settings }) => {
    if (!settings?.tremendousBaseUrl || !settings.tremendousKeySealed || !settings.tremendousProductId) {
      return { outcome: 'failed', reason: 'Tremendous is not set up for this program', retryable: false };
    }
    if (!reward.currency) {
      return {
        outcome: 'failed',
        reason: 'Tremendous rewards need a currency amount, not points',
        retryable: false,
      };
    }
    if (!reward.recipientEmail) {
      return { outcome: 'failed', reason: 'Tremendous: the recipient has no email', retryable: false };
    }
    const orders = new OrdersApi(
      new Configuration({
        basePath: settings.tremendousBaseUrl,
        accessToken: ctx.secrets.open(settings.tremendousKeySealed),
        baseOptions: { timeout: 20_000 },
      }),
    );
    try {
      const placed = await orders.createOrder({
        external_id: reward.id,
        payment: { funding_source_id: settings.tremendousFundingSourceId ?? 'balance' },
        reward: {
          value: {
            denomination: reward.amount / 100,
            currency_code: reward.currency as ListRewards200ResponseRewardsInnerValueCurrencyCodeEnum,
          },
          products: [settings.tremendousProductId],
          recipient: { name: reward.recipientName ?? reward.recipientEmail, email: reward.recipientEmail },
          delivery: { method: 'EMAIL' },
        },
      });
      return { outcome: 'paid', ref: placed.data.order.id };
    } catch (error) {
      return failure(error);
    }
  },
};
