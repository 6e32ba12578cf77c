# bash completion for ecs-ca-status                                  -*- shell-script -*-
# Installed as $(PREFIX)/share/bash-completion/completions/ecs-ca-status (loaded on demand by
# bash-completion). Every long option of `ecs-ca-status --help` must appear in _ecs_ca_status_opts
# (tests/ship/test_ship.py checks it, and the zsh completion and the man page likewise).

_ecs_ca_status_opts='--region --all --instance-id --os-type --output --check --endpoint --vpc --signature
--batch-size --parallel --max-time --ca-file --show-ca --resolve --proxy --no-proxy
--profile --connect-timeout --read-timeout --retries --dry-run --wait --interval --down
--output-file --warning --critical --verbose --help --version'

# Region ids of ECS (Alibaba Cloud's region list), and "all" (every region of the account); any
# other id can still be typed.
_ecs_ca_status_regions='all cn-qingdao cn-beijing cn-zhangjiakou cn-huhehaote cn-wulanchabu
cn-hangzhou cn-shanghai cn-shenzhen cn-heyuan cn-guangzhou cn-chengdu cn-hongkong
ap-northeast-1 ap-northeast-2 ap-southeast-1 ap-southeast-3 ap-southeast-5 ap-southeast-6
ap-southeast-7 us-east-1 us-west-1 us-southeast-1 eu-central-1 eu-west-1 me-east-1
cn-shanghai-finance-1 cn-shenzhen-finance-1'

# Profile names: "name" entries of aliyun-cli's config.json, sections of the credentials file.
_ecs_ca_status_profiles()
{
    local cfg=${ALIBABA_CLOUD_CONFIG_FILE:-$HOME/.aliyun/config.json}
    local ini=${ALIBABA_CLOUD_CREDENTIALS_FILE:-$HOME/.alibabacloud/credentials}
    {
        [[ -r $cfg ]] && grep -o '"name"[[:space:]]*:[[:space:]]*"[^"]*"' -- "$cfg" 2>/dev/null |
            sed 's/.*"\([^"]*\)"$/\1/'
        [[ -r $ini ]] && sed -n 's/^[[:space:]]*\[\([^]]*\)\][[:space:]]*$/\1/p' -- "$ini" 2>/dev/null
    } | sort -u
}

_ecs_ca_status()
{
    local cur prev words cword split
    _init_completion -s || return

    case $prev in
        -r | --region)
            COMPREPLY=($(compgen -W "$_ecs_ca_status_regions" -- "$cur"))
            return
            ;;
        -o | --output)
            COMPREPLY=($(compgen -W 'table json tsv nagios prom' -- "$cur"))
            return
            ;;
        --os-type)
            COMPREPLY=($(compgen -W 'Linux Windows FreeBSD' -- "$cur"))
            return
            ;;
        --signature)
            COMPREPLY=($(compgen -W 'v3 v1' -- "$cur"))
            return
            ;;
        --profile)
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$(_ecs_ca_status_profiles)" -- "$cur"))
            return
            ;;
        --ca-file | --output-file)
            _filedir
            return
            ;;
        -i | --instance-id | --endpoint | --batch-size | --proxy | --no-proxy | \
            --connect-timeout | --read-timeout | --retries | --wait | --interval | \
            --parallel | --max-time | --resolve | \
            -w | --warning | -c | --critical)
            return
            ;;
    esac
    $split && return

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$_ecs_ca_status_opts" -- "$cur"))
        return
    fi
} &&
    complete -F _ecs_ca_status ecs-ca-status

# ex: filetype=sh
