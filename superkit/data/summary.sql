-- superkit summary: transactions -> one row per customer (RFM for the BG/NBD family).
-- Written once; each engine supplies {source} (a relation with customer_id, day_num, amount, where
-- day_num is the whole day number since 1970-01-01) and the integer day numbers below.
-- Definitions follow lifetimes' summary_data_from_transaction_data with freq='D':
--   a purchase day is a customer's calendar day with net amount >= 0 and at least one non-refund row
--   (refunds are netted within the day; refund-only days are not purchases);
--   frequency = purchase days - 1 (in the calibration period), recency = last - first purchase day,
--   T = observation (or calibration) end - first purchase day, both divided by {unit_days};
--   monetary_value = mean net amount of the repeat purchase days (0 when there are none);
--   holdout: purchase days after the calibration end and their mean net amount.
-- Two aggregations only (customer-day, then customer), so it streams on files larger than memory.
-- Sums are exact (DECIMAL, to a millionth of a yuan), so a parallel engine gives the same last digit
-- whatever order its threads add the rows in.
-- The customer step keeps every customer, also one without a purchase day, so that an engine can
-- check each customer id once there.
-- The purchase-day test is filled in: net amount and largest amount >= 0, or TRUE when the engine
-- has shown that no amount is negative (then every day with a row is a purchase day). So are the
-- holdout counts: without a calibration end there is no holdout period, and they are constants.
WITH days AS (
    SELECT customer_id, day_num, SUM(CAST(amount AS DECIMAL(38, 6))) AS day_amount,
           {purchase} AS purchase
    FROM {source}
    WHERE day_num <= {obs_end}
    GROUP BY customer_id, day_num
),
cust AS (
    SELECT customer_id,
           COUNT(*) FILTER (WHERE purchase AND day_num <= {cal_end}) AS n_days,
           MIN(day_num) FILTER (WHERE purchase) AS first_day,
           MAX(day_num) FILTER (WHERE purchase AND day_num <= {cal_end}) AS last_day,
           SUM(day_amount) FILTER (WHERE purchase AND day_num <= {cal_end}) AS total,
           MIN_BY(day_amount, day_num) FILTER (WHERE purchase) AS first_amount,
           {holdout}
    FROM days
    GROUP BY customer_id
)
-- the summary, from the per-customer table
SELECT customer_id,
       CAST(n_days - 1 AS DOUBLE) AS frequency,
       CAST(last_day - first_day AS DOUBLE) / {unit_days} AS recency,
       CAST({cal_end} - first_day AS DOUBLE) / {unit_days} AS T,
       CASE WHEN n_days > 1 THEN CAST((total - first_amount) AS DOUBLE) / (n_days - 1) ELSE 0.0 END AS monetary_value,
       CAST(n_hold AS DOUBLE) AS frequency_holdout,
       COALESCE(CAST(mean_hold AS DOUBLE), 0.0) AS monetary_value_holdout,
       CAST({obs_end} - {cal_end} AS DOUBLE) / {unit_days} AS duration_holdout
FROM {customers}
WHERE n_days > 0
