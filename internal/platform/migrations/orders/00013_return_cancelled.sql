-- +goose Up
-- A return whose label could not be issued, or went unused past its
-- validity, ends 'cancelled'; its lines can be returned again.
ALTER TABLE orders.returns DROP CONSTRAINT returns_status_check;
ALTER TABLE orders.returns ADD CONSTRAINT returns_status_check CHECK (status IN
    ('requested', 'label_issued', 'in_transit', 'received', 'refunded', 'lost', 'not_refunded', 'cancelled'));

-- +goose Down
ALTER TABLE orders.returns DROP CONSTRAINT returns_status_check;
ALTER TABLE orders.returns ADD CONSTRAINT returns_status_check CHECK (status IN
    ('requested', 'label_issued', 'in_transit', 'received', 'refunded', 'lost', 'not_refunded'));
