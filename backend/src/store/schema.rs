//! The Diesel schema. Written by hand rather than by `diesel print-schema`, because one schema serves both
//! backends: ids are `BigInt` (an SQLite `INTEGER PRIMARY KEY` is 64-bit), times naive UTC `Timestamp`.
//! It must match `migrations/*/up.sql`; the migration tests read every table through it on both backends.

diesel::table! {
    tenants (id) {
        id -> BigInt,
        slug -> Text,
        display_name -> Text,
        status -> Text,
        settings_version -> BigInt,
        creation_time -> Timestamp,
    }
}

diesel::table! {
    tenant_settings (tenant_id, section, name) {
        tenant_id -> BigInt,
        section -> Text,
        name -> Text,
        value -> Text,
        modified_time -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_id -> Text,
        username -> Text,
        is_super_user -> Bool,
        is_locked -> Bool,
        locked_time -> Nullable<Timestamp>,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        approval_status -> Text,
        approval_status_mod_time -> Timestamp,
        approval_status_mod_by -> Text,
        password_hash -> Text,
        password_must_change -> Bool,
        password_last_set -> Timestamp,
        password_expiry -> Timestamp,
        sign_up_status -> Text,
        sign_up_time -> Timestamp,
        sign_up_confirm_time -> Nullable<Timestamp>,
        email -> Nullable<Text>,
        email_hash -> Nullable<Text>,
        display_name -> Nullable<Text>,
        first_name -> Nullable<Text>,
        middle_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        is_totp_enabled -> Bool,
        totp_key -> Nullable<Text>,
        totp_label -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        email_confirmed -> Bool,
        passkey_count -> Integer,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_pk -> BigInt,
        session_id -> Text,
        secret_hash -> Text,
        creation_time -> Timestamp,
        expiration_time -> Timestamp,
        remote_addr -> Text,
        user_agent -> Text,
        current_app -> Text,
        parent_id -> Nullable<BigInt>,
        auth_time -> Nullable<Timestamp>,
        auth_methods -> Text,
        scope -> Nullable<Text>,
        grant_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    oidc_clients (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        app -> Text,
        client_name -> Text,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        confidential -> Bool,
        secret_hash -> Nullable<Text>,
        consent_required -> Bool,
        creation_time -> Timestamp,
        modified_time -> Timestamp,
        backchannel_logout_uri -> Nullable<Text>,
        id_token_alg -> Text,
    }
}

diesel::table! {
    oidc_signing_keys (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        kid -> Text,
        private_sealed -> Text,
        creation_time -> Timestamp,
        alg -> Text,
        activation_time -> Nullable<Timestamp>,
        unpublish_time -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oidc_codes (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        code_hash -> Text,
        app -> Text,
        sso_session_id -> BigInt,
        redirect_uri -> Text,
        scope -> Text,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        creation_time -> Timestamp,
        expiration_time -> Timestamp,
        used_time -> Nullable<Timestamp>,
        issued_session_id -> Nullable<Text>,
        issued_grant_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    oidc_grants (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_pk -> BigInt,
        app -> Text,
        scope -> Text,
        offline -> Bool,
        sso_session_pk -> Nullable<BigInt>,
        sid -> Text,
        auth_time -> Timestamp,
        auth_methods -> Text,
        remote_addr -> Text,
        user_agent -> Text,
        creation_time -> Timestamp,
        last_used_time -> Timestamp,
        expiration_time -> Timestamp,
    }
}

diesel::table! {
    oidc_refresh_tokens (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        grant_id -> BigInt,
        token_hash -> Text,
        creation_time -> Timestamp,
        used_time -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oidc_consents (tenant_id, user_pk, app) {
        tenant_id -> BigInt,
        user_pk -> BigInt,
        app -> Text,
        scope -> Text,
        creation_time -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        time -> Timestamp,
        cid -> Text,
        op -> Text,
        current_user_id -> Nullable<Text>,
        target_user_id -> Nullable<Text>,
        result -> Text,
        sub_status -> Nullable<Text>,
        remote_addr -> Nullable<Text>,
        current_app -> Nullable<Text>,
        extra -> Nullable<Text>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    attrs (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_pk -> BigInt,
        session_pk -> Nullable<BigInt>,
        scope -> Text,
        name -> Text,
        value -> Text,
        is_encrypted -> Bool,
        creation_time -> Timestamp,
        last_modified -> Nullable<Timestamp>,
        expiration_time -> Timestamp,
    }
}

diesel::table! {
    user_address_lists (user_pk) {
        user_pk -> BigInt,
        tenant_id -> BigInt,
        addresses -> Text,
    }
}

diesel::table! {
    user_preferences (user_pk) {
        user_pk -> BigInt,
        tenant_id -> BigInt,
        time_zone -> Nullable<Text>,
    }
}

diesel::table! {
    totp_enrolments (user_pk) {
        user_pk -> BigInt,
        tenant_id -> BigInt,
        secret -> Text,
        creation_time -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_pk -> BigInt,
        code_hash -> Text,
        used_time -> Nullable<Timestamp>,
    }
}

diesel::table! {
    app_keys (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        app -> Text,
        key_id -> Text,
        key_hash -> Text,
        creation_time -> Timestamp,
    }
}

diesel::table! {
    reset_requests (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        credential_sealed -> Text,
        cid -> Text,
        current_app -> Text,
        remote_addr -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        creation_time -> Timestamp,
    }
}

diesel::table! {
    login_continuations (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_pk -> BigInt,
        nonce_hash -> Text,
        expiration_time -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        creation_time -> Timestamp,
        attempts -> Integer,
        next_attempt_time -> Timestamp,
        last_error -> Nullable<Text>,
        sent_time -> Nullable<Timestamp>,
        failed_time -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_pk -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        new_email -> Nullable<Text>,
        new_email_hash -> Nullable<Text>,
        creation_time -> Timestamp,
        expiration_time -> Timestamp,
        used_time -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_pk -> BigInt,
        token_hash -> Text,
        creation_time -> Timestamp,
        expiration_time -> Timestamp,
        access_time -> Nullable<Timestamp>,
        reset_key_hash -> Nullable<Text>,
        reset_key_expiration -> Nullable<Timestamp>,
        used_time -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_counters (tenant_id, kind, subject, window_start) {
        tenant_id -> BigInt,
        kind -> Text,
        subject -> Text,
        window_start -> Timestamp,
        count -> Integer,
    }
}

diesel::table! {
    /// Which tenants have mail or password-reset requests waiting, kept by triggers (see migration 17).
    tenant_pending_work (tenant_id) {
        tenant_id -> BigInt,
        mail -> BigInt,
        reset_requests -> BigInt,
    }
}

diesel::table! {
    /// Upper-cased names of users, kept by a trigger, that search criteria are matched in (see migration 8).
    user_search_names (user_pk) {
        user_pk -> BigInt,
        tenant_id -> BigInt,
        display_name -> Nullable<Text>,
        first_name -> Nullable<Text>,
        middle_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
    }
}

diesel::table! {
    passkeys (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        user_pk -> BigInt,
        passkey_id -> Text,
        credential_id -> Text,
        user_handle -> Text,
        name -> Text,
        credential -> Text,
        sign_count -> BigInt,
        backup_eligible -> Bool,
        backup_state -> Bool,
        creation_time -> Timestamp,
        last_used_time -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webauthn_ceremonies (id) {
        id -> BigInt,
        tenant_id -> BigInt,
        handle_hash -> Text,
        purpose -> Text,
        user_pk -> Nullable<BigInt>,
        state -> Text,
        expiration_time -> Timestamp,
    }
}

diesel::joinable!(tenant_settings -> tenants (tenant_id));
diesel::joinable!(passkeys -> users (user_pk));
diesel::joinable!(user_search_names -> users (user_pk));
diesel::joinable!(attrs -> users (user_pk));
diesel::joinable!(user_address_lists -> users (user_pk));
diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(sessions -> users (user_pk));
diesel::joinable!(oidc_grants -> users (user_pk));
diesel::joinable!(audit_log -> tenants (tenant_id));
diesel::joinable!(tenant_pending_work -> tenants (tenant_id));

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    tenant_settings,
    users,
    sessions,
    audit_log,
    attrs,
    user_address_lists,
    user_preferences,
    totp_enrolments,
    recovery_codes,
    app_keys,
    login_continuations,
    outbox,
    email_tokens,
    password_resets,
    request_counters,
    reset_requests,
    user_search_names,
    oidc_clients,
    oidc_signing_keys,
    oidc_codes,
    oidc_consents,
    oidc_grants,
    oidc_refresh_tokens,
    passkeys,
    webauthn_ceremonies,
    tenant_pending_work,
);

diesel::table! {
    keyring_meta (name) {
        name -> Text,
        sealed_value -> Text,
        modified_time -> Timestamp,
    }
}
