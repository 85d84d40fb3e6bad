-- superkit summary: transactions -> one row per customer (RFM for the BG/NBD family).
-- Written once; each engine supplies {source} (a relation with customer_id, day_num, amount, where
-- day_num is the whole day number since 1970-01-01) and the integer day numbers below.
-- Definitions follow lifetimes' summary_data_from_transaction_data with freq='D':
--   a purchase day is a customer's calendar day with net amount >= 0 and at least one non-refund row
--   (refunds are netted within the day; refund-only days are not purchases);
--   frequency = purchase days - 1 (in the calibration period), recency = last - first purchase day,
--   T = observation (or calibration) end - first purchase day, both divided by {unit_days};
--   monetary_value = mean net amount of the repeat purchase days (0 when there are none).
WITH days AS (
    SELECT customer_id, day_num, SUM(amount) AS amount, MAX(amount) AS max_row
    FROM {source}
    WHERE day_num <= {obs_end}
    GROUP BY customer_id, day_num
),
purchase_days AS (
    SELECT customer_id, day_num, amount FROM days WHERE max_row >= 0 AND amount >= 0
),
cal AS (
    SELECT customer_id,
           COUNT(*) AS n_days,
           MIN(day_num) AS first_day,
           MAX(day_num) AS last_day,
           SUM(amount) AS total,
           MIN_BY(amount, day_num) AS first_amount
    FROM purchase_days
    WHERE day_num <= {cal_end}
    GROUP BY customer_id
),
hold AS (
    SELECT customer_id, COUNT(*) AS n_days, AVG(amount) AS mean_amount
    FROM purchase_days
    WHERE day_num > {cal_end}
    GROUP BY customer_id
)
SELECT cal.customer_id AS customer_id,
       CAST(cal.n_days - 1 AS DOUBLE) AS frequency,
       CAST(cal.last_day - cal.first_day AS DOUBLE) / {unit_days} AS recency,
       CAST({cal_end} - cal.first_day AS DOUBLE) / {unit_days} AS T,
       CASE WHEN cal.n_days > 1
            THEN (cal.total - cal.first_amount) / (cal.n_days - 1)
            ELSE 0.0 END AS monetary_value,
       CAST(COALESCE(hold.n_days, 0) AS DOUBLE) AS frequency_holdout,
       COALESCE(hold.mean_amount, 0.0) AS monetary_value_holdout,
       CAST({obs_end} - {cal_end} AS DOUBLE) / {unit_days} AS duration_holdout
FROM cal LEFT JOIN hold ON cal.customer_id = hold.customer_id
ORDER BY cal.customer_id
