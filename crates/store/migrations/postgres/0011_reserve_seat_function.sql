-- One round trip for the common seat request (no switch): lock the group's row, then
-- decide and write exactly as Db::reserve_seat does. Returns (outcome, id, position):
-- outcome is 'seated', 'waitlisted', 'already_seated', 'already_waiting', 'closed', 'missing',
-- or 'fallback' when a free seat must first be offered to people waiting (the rare case the
-- Rust path handles).
CREATE FUNCTION hearth_reserve_seat(p_group BIGINT, p_client BIGINT, p_now TIMESTAMPTZ)
RETURNS TABLE (outcome TEXT, id BIGINT, pos BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    v_capacity INTEGER;
    v_taken INTEGER;
    v_status TEXT;
    v_seated BIGINT;
    v_waiting BIGINT;
    v_queue BIGINT;
    v_waiting_count BIGINT;
    v_id BIGINT;
BEGIN
    UPDATE groups SET seats_taken = seats_taken WHERE groups.id = p_group
        RETURNING capacity, seats_taken, status INTO v_capacity, v_taken, v_status;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'missing'::TEXT, NULL::BIGINT, NULL::BIGINT;
        RETURN;
    END IF;
    -- A new statement sees everything committed before the lock was granted.
    SELECT
        (SELECT COUNT(*) FROM memberships m WHERE m.group_id = p_group AND m.client_id = p_client AND m.status = 'seated'),
        (SELECT MIN(w.id) FROM waitlist_entries w WHERE w.group_id = p_group AND w.client_id = p_client
            AND w.status IN ('waiting', 'offered')),
        (SELECT COUNT(*) FROM waitlist_entries w WHERE w.group_id = p_group AND w.status IN ('waiting', 'offered')),
        (SELECT COUNT(*) FROM waitlist_entries w WHERE w.group_id = p_group AND w.status = 'waiting')
    INTO v_seated, v_waiting, v_queue, v_waiting_count;
    IF v_seated > 0 THEN
        RETURN QUERY SELECT 'already_seated'::TEXT, NULL::BIGINT, NULL::BIGINT;
    ELSIF v_waiting IS NOT NULL THEN
        RETURN QUERY SELECT 'already_waiting'::TEXT, v_waiting,
            (SELECT COUNT(*) FROM waitlist_entries w WHERE w.group_id = p_group AND w.status = 'waiting' AND w.id <= v_waiting);
    ELSIF v_status <> 'open' THEN
        RETURN QUERY SELECT 'closed'::TEXT, NULL::BIGINT, NULL::BIGINT;
    ELSIF v_taken < v_capacity AND v_queue = 0 THEN
        UPDATE groups SET seats_taken = seats_taken + 1 WHERE groups.id = p_group;
        INSERT INTO memberships (group_id, client_id, status, joined_at)
            VALUES (p_group, p_client, 'seated', p_now) RETURNING memberships.id INTO v_id;
        RETURN QUERY SELECT 'seated'::TEXT, v_id, NULL::BIGINT;
    ELSIF v_taken < v_capacity THEN
        RETURN QUERY SELECT 'fallback'::TEXT, NULL::BIGINT, NULL::BIGINT;
    ELSE
        INSERT INTO waitlist_entries (group_id, client_id, status, created_at)
            VALUES (p_group, p_client, 'waiting', p_now) RETURNING waitlist_entries.id INTO v_id;
        -- Appended under the lock: everyone waiting is ahead.
        RETURN QUERY SELECT 'waitlisted'::TEXT, v_id, v_waiting_count + 1;
    END IF;
END;
$$;
