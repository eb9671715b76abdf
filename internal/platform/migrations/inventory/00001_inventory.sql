-- +goose Up
CREATE TABLE inventory.products (
    sku        text PRIMARY KEY,
    name       text        NOT NULL,
    price      bigint      NOT NULL CHECK (price >= 0), -- minor units
    currency   text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inventory.warehouses (
    id   text PRIMARY KEY,
    name text NOT NULL
);

-- One row per SKU and warehouse. Writers compare-and-set on version
-- (optimistic locking); the CHECKs make overselling impossible even for a
-- buggy writer.
CREATE TABLE inventory.stock (
    sku          text        NOT NULL REFERENCES inventory.products (sku),
    warehouse_id text        NOT NULL REFERENCES inventory.warehouses (id),
    on_hand      integer     NOT NULL CHECK (on_hand >= 0),
    reserved     integer     NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
    version      bigint      NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sku, warehouse_id)
);

-- A reservation holds stock for one order until it is committed or released.
CREATE TABLE inventory.reservations (
    id         text PRIMARY KEY,
    order_id   text        NOT NULL,
    status     text        NOT NULL CHECK (status IN ('reserved', 'committed', 'released')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inventory.reservation_lines (
    reservation_id text    NOT NULL REFERENCES inventory.reservations (id),
    sku            text    NOT NULL,
    warehouse_id   text    NOT NULL,
    quantity       integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, sku, warehouse_id),
    FOREIGN KEY (sku, warehouse_id) REFERENCES inventory.stock (sku, warehouse_id)
);

-- +goose Down
DROP TABLE inventory.reservation_lines;
DROP TABLE inventory.reservations;
DROP TABLE inventory.stock;
DROP TABLE inventory.warehouses;
DROP TABLE inventory.products;
