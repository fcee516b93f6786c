#!/usr/bin/env bash
# Archived: the Laravel deploy this repository no longer uses. Kept for reference only.
set -euo pipefail
composer install --no-dev
php artisan migrate --force
php artisan config:cache
