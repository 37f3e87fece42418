"""Schema migrations, applied in order, recorded in `schema_migrations`.

DDL is written once with two placeholders: ``{pk}`` (an auto-numbered primary key) and
``{big}`` (a 64-bit integer), filled per dialect.
"""

from __future__ import annotations

from .db import Database

DIALECT = {
    "sqlite": {"pk": "INTEGER PRIMARY KEY AUTOINCREMENT", "big": "INTEGER"},
    "postgres": {"pk": "BIGSERIAL PRIMARY KEY", "big": "BIGINT"},
}

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_core",
        """
        CREATE TABLE conversations (
            id {pk},
            channel TEXT NOT NULL,
            user_key TEXT NOT NULL,
            chat_id TEXT NOT NULL DEFAULT '',
            lang TEXT NOT NULL DEFAULT 'ru',
            status TEXT NOT NULL DEFAULT 'bot',
            state TEXT NOT NULL DEFAULT '{{}}',
            subscriber_id {big},
            display_name TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (channel, user_key)
        );
        CREATE TABLE messages (
            id {pk},
            conversation_id {big} NOT NULL REFERENCES conversations(id),
            direction TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            buttons TEXT NOT NULL DEFAULT '[]',
            intent TEXT,
            action TEXT,
            score REAL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX messages_conversation ON messages (conversation_id, id);
        CREATE TABLE handoffs (
            id {pk},
            conversation_id {big} NOT NULL REFERENCES conversations(id),
            status TEXT NOT NULL,
            reason TEXT NOT NULL,
            agent_id {big},
            enqueued_at TEXT NOT NULL,
            assigned_at TEXT,
            closed_at TEXT,
            resolution TEXT,
            rating INTEGER
        );
        CREATE INDEX handoffs_status ON handoffs (status, enqueued_at);
        CREATE INDEX handoffs_conversation ON handoffs (conversation_id);
        CREATE TABLE kb_entries (
            id TEXT PRIMARY KEY,
            grp TEXT NOT NULL,
            position INTEGER NOT NULL,
            data TEXT NOT NULL,
            retired INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE kb_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE turns_log (
            id {pk},
            conversation_id {big} NOT NULL,
            channel TEXT NOT NULL,
            lang TEXT NOT NULL,
            text TEXT NOT NULL,
            intent TEXT,
            action TEXT,
            score REAL,
            outcome TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX turns_log_created ON turns_log (created_at);
        """,
    ),
    (
        "0002_billing",
        """
        CREATE TABLE tariffs (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            name_ru TEXT NOT NULL,
            name_en TEXT NOT NULL,
            monthly_fee {big} NOT NULL,
            minutes INTEGER NOT NULL,
            sms INTEGER NOT NULL,
            gb REAL NOT NULL,
            minute_price {big} NOT NULL,
            sms_price {big} NOT NULL,
            mb_price {big} NOT NULL,
            description_ru TEXT NOT NULL DEFAULT '',
            description_en TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE services (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            grp TEXT NOT NULL,
            name_ru TEXT NOT NULL,
            name_en TEXT NOT NULL,
            monthly_fee {big} NOT NULL,
            connect_fee {big} NOT NULL DEFAULT 0,
            aliases TEXT NOT NULL DEFAULT '[]',
            description_ru TEXT NOT NULL DEFAULT '',
            description_en TEXT NOT NULL DEFAULT '',
            by_default INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE package_offers (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            amount REAL NOT NULL,
            price {big} NOT NULL
        );
        CREATE TABLE subscribers (
            id {pk},
            phone TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            tariff_id TEXT NOT NULL REFERENCES tariffs(id),
            region_id TEXT,
            blocked INTEGER NOT NULL DEFAULT 0,
            blocked_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE subscriber_services (
            subscriber_id {big} NOT NULL REFERENCES subscribers(id),
            service_id TEXT NOT NULL REFERENCES services(id),
            connected_at TEXT NOT NULL,
            PRIMARY KEY (subscriber_id, service_id)
        );
        CREATE TABLE ledger (
            id {pk},
            subscriber_id {big} NOT NULL REFERENCES subscribers(id),
            amount {big} NOT NULL,
            category TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            op_key TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX ledger_subscriber ON ledger (subscriber_id, created_at);
        CREATE TABLE billing_operations (
            op_key TEXT PRIMARY KEY,
            subscriber_id {big},
            kind TEXT NOT NULL,
            result TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE package_purchases (
            id {pk},
            subscriber_id {big} NOT NULL REFERENCES subscribers(id),
            package_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            amount REAL NOT NULL,
            price {big} NOT NULL,
            bought_at TEXT NOT NULL
        );
        CREATE INDEX package_purchases_subscriber ON package_purchases (subscriber_id, bought_at);
        CREATE TABLE usage_records (
            id {pk},
            subscriber_id {big} NOT NULL REFERENCES subscribers(id),
            kind TEXT NOT NULL,
            direction TEXT NOT NULL,
            other_party TEXT NOT NULL DEFAULT '',
            quantity REAL NOT NULL,
            units REAL NOT NULL,
            cost {big} NOT NULL,
            started_at TEXT NOT NULL
        );
        CREATE INDEX usage_records_subscriber ON usage_records (subscriber_id, started_at);
        CREATE TABLE promised_payments (
            id {pk},
            subscriber_id {big} NOT NULL REFERENCES subscribers(id),
            amount {big} NOT NULL,
            fee {big} NOT NULL,
            taken_at TEXT NOT NULL,
            due_at TEXT NOT NULL,
            repaid_at TEXT
        );
        CREATE INDEX promised_payments_subscriber ON promised_payments (subscriber_id, repaid_at);
        CREATE TABLE autopay (
            subscriber_id {big} PRIMARY KEY REFERENCES subscribers(id),
            enabled INTEGER NOT NULL,
            mode TEXT,
            threshold {big},
            day INTEGER,
            amount {big} NOT NULL,
            since TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE payments (
            token TEXT PRIMARY KEY,
            subscriber_id {big} NOT NULL REFERENCES subscribers(id),
            target_id {big} NOT NULL REFERENCES subscribers(id),
            phone TEXT NOT NULL,
            amount {big} NOT NULL,
            status TEXT NOT NULL,
            op_key TEXT NOT NULL,
            created_at TEXT NOT NULL,
            paid_at TEXT
        );
        CREATE TABLE sms_outbox (
            id {pk},
            phone TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX sms_outbox_phone ON sms_outbox (phone, id);
        CREATE TABLE email_outbox (
            id {pk},
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX email_outbox_recipient ON email_outbox (recipient, id);
        CREATE TABLE email_attachments (
            id {pk},
            email_id {big} NOT NULL REFERENCES email_outbox(id),
            filename TEXT NOT NULL,
            content_type TEXT NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX email_attachments_email ON email_attachments (email_id, id);
        """,
    ),
    (
        "0003_auth",
        """
        CREATE TABLE app_secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE login_codes (
            id {pk},
            phone TEXT NOT NULL,
            user_key TEXT NOT NULL,
            purpose TEXT NOT NULL,
            code_hash TEXT NOT NULL,
            subscriber_id {big},
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            used_at TEXT
        );
        CREATE INDEX login_codes_user ON login_codes (user_key, created_at);
        CREATE INDEX login_codes_phone ON login_codes (phone, created_at);
        """,
    ),
    (
        "0004_people",
        """
        CREATE TABLE agents (
            id {pk},
            login TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE agent_sessions (
            token_hash TEXT PRIMARY KEY,
            agent_id {big} NOT NULL REFERENCES agents(id),
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE TABLE login_failures (
            id {pk},
            login TEXT NOT NULL,
            ip TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX login_failures_at ON login_failures (at);
        CREATE TABLE agent_presence (
            agent_id {big} NOT NULL REFERENCES agents(id),
            instance TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (agent_id, instance)
        );
        CREATE TABLE tickets (
            id {pk},
            phone TEXT NOT NULL,
            name TEXT NOT NULL,
            region TEXT NOT NULL,
            topic TEXT NOT NULL,
            description TEXT NOT NULL,
            email TEXT NOT NULL DEFAULT '',
            lang TEXT NOT NULL,
            channel TEXT NOT NULL,
            conversation_id {big},
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            answered_at TEXT,
            answer TEXT,
            agent_id {big}
        );
        CREATE INDEX tickets_status ON tickets (status, created_at);
        """,
    ),
    (
        "0005_channels",
        """
        CREATE TABLE processed_messages (
            channel TEXT NOT NULL,
            message_id TEXT NOT NULL,
            result TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (channel, message_id)
        );
        CREATE TABLE inbound_updates (
            id {pk},
            channel TEXT NOT NULL,
            update_key TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            received_at TEXT NOT NULL,
            processed_at TEXT,
            UNIQUE (channel, update_key)
        );
        CREATE INDEX inbound_updates_status ON inbound_updates (status, id);
        CREATE TABLE outbox (
            id {pk},
            channel TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            conversation_id {big},
            dedupe_key TEXT NOT NULL UNIQUE,
            payload TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at TEXT NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_status ON outbox (status, channel, next_at);
        """,
    ),
    (
        "0006_editor",
        """
        CREATE TABLE kb_revisions (
            id {pk},
            author TEXT NOT NULL,
            message TEXT NOT NULL,
            changes TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        ALTER TABLE turns_log ADD COLUMN reply TEXT;
        ALTER TABLE turns_log ADD COLUMN resolved_at TEXT;
        ALTER TABLE turns_log ADD COLUMN resolved_entry TEXT;
        CREATE INDEX turns_log_outcome ON turns_log (outcome, created_at);
        """,
    ),
    (
        "0007_instances",
        """
        ALTER TABLE inbound_updates ADD COLUMN chat_key TEXT NOT NULL DEFAULT '';
        CREATE INDEX inbound_updates_chat ON inbound_updates (channel, chat_key, status, id);
        ALTER TABLE inbound_updates ADD COLUMN claimed_by TEXT;
        ALTER TABLE inbound_updates ADD COLUMN claimed_at TEXT;
        ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
        ALTER TABLE outbox ADD COLUMN claimed_at TEXT;
        CREATE INDEX outbox_chat ON outbox (channel, chat_id, status, id);
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            until TEXT NOT NULL
        );
        CREATE TABLE instances (
            id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            last_seen TEXT NOT NULL
        );
        """,
    ),
    (
        "0008_open_work",
        """
        CREATE INDEX inbound_updates_open ON inbound_updates (channel, status, id);
        CREATE INDEX outbox_open ON outbox (channel, status, id);
        """,
    ),
    (
        "0009_processed_status",
        """
        ALTER TABLE processed_messages ADD COLUMN status TEXT;
        """,
    ),
    (
        "0010_diagnostics",
        """
        CREATE TABLE incidents (
            id {pk},
            region_id TEXT NOT NULL,
            affects TEXT NOT NULL,
            since TEXT NOT NULL,
            until TEXT,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE INDEX incidents_region ON incidents (region_id, since);
        CREATE TABLE usage_adjustments (
            subscriber_id {big} NOT NULL REFERENCES subscribers(id),
            month TEXT NOT NULL,
            kind TEXT NOT NULL,
            units DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (subscriber_id, month, kind)
        );
        CREATE TABLE content_subscriptions (
            id {pk},
            subscriber_id {big} NOT NULL REFERENCES subscribers(id),
            name_ru TEXT NOT NULL,
            name_en TEXT NOT NULL,
            price {big} NOT NULL,
            period_days INTEGER NOT NULL,
            since TEXT NOT NULL,
            cancelled_at TEXT
        );
        CREATE INDEX content_subscriptions_subscriber ON content_subscriptions (subscriber_id);
        CREATE TABLE diagnoses (
            id {pk},
            conversation_id {big} NOT NULL,
            subscriber_id {big},
            problem TEXT NOT NULL,
            cause TEXT NOT NULL,
            checks TEXT NOT NULL,
            lang TEXT NOT NULL,
            handed_off INTEGER NOT NULL DEFAULT 0,
            fixed_by TEXT,
            fixed_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX diagnoses_conversation ON diagnoses (conversation_id, id);
        CREATE INDEX diagnoses_created ON diagnoses (created_at);
        """,
    ),
    (
        "0011_understanding_models",
        """
        CREATE TABLE understanding_models (
            digest TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            data TEXT NOT NULL
        );
        """,
    ),
    (
        "0012_client_ids",
        """
        ALTER TABLE messages ADD COLUMN client_id TEXT;
        ALTER TABLE messages ADD COLUMN payload TEXT;
        CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, client_id) WHERE client_id IS NOT NULL;
        ALTER TABLE outbox ADD COLUMN attempted_at TEXT;
        """,
    ),
    (
        "0013_agent_console",
        """
        ALTER TABLE handoffs ADD COLUMN rating_comment TEXT;
        CREATE TABLE conversation_notes (
            id {pk},
            conversation_id {big} NOT NULL REFERENCES conversations(id),
            agent_id {big} NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX conversation_notes_conversation ON conversation_notes (conversation_id, id);
        CREATE TABLE conversation_labels (
            conversation_id {big} NOT NULL REFERENCES conversations(id),
            label TEXT NOT NULL,
            agent_id {big},
            created_at TEXT NOT NULL,
            PRIMARY KEY (conversation_id, label)
        );
        CREATE INDEX conversation_labels_label ON conversation_labels (label);
        CREATE TABLE canned_replies (
            id {pk},
            lang TEXT NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (lang, title)
        );
        CREATE TABLE agent_status (
            agent_id {big} PRIMARY KEY,
            status TEXT NOT NULL DEFAULT 'online',
            max_open INTEGER NOT NULL DEFAULT 3,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE assist_usage (
            id {pk},
            conversation_id {big} NOT NULL,
            agent_id {big} NOT NULL,
            entry_id TEXT NOT NULL,
            used_at TEXT NOT NULL
        );
        CREATE INDEX assist_usage_time ON assist_usage (used_at);
        """,
    ),
]


async def migrate(db: Database) -> list[str]:
    """Apply the migrations the database lacks; returns their names."""
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    names = {r["name"] for r in await db.fetchall("SELECT name FROM schema_migrations")}
    applied = []
    placeholders = DIALECT[db.dialect]
    for name, ddl in MIGRATIONS:
        if name in names:
            continue
        async with db.transaction() as tx:
            if await tx.fetchval("SELECT count(*) FROM schema_migrations WHERE name = ?", (name,)):
                continue  # another process applied it meanwhile
            for statement in ddl.format(**placeholders).split(";"):
                if statement.strip():
                    await tx.execute(statement)
            await tx.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, datetime('now'))"
                if db.dialect == "sqlite"
                else "INSERT INTO schema_migrations (name, applied_at) VALUES (?, now()::text)",
                (name,),
            )
        applied.append(name)
    return applied


async def applied(db: Database) -> list[str]:
    """The names of the migrations applied, in order."""
    return [r["name"] for r in await db.fetchall("SELECT name FROM schema_migrations ORDER BY name")]
