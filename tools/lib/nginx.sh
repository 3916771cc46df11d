# Debian's nginx, installed when missing, for the scripts that serve a tiles folder through a
# real static web server. Source it, then: NGINX=$(nginx_binary)
nginx_binary() {
    if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
        echo "installing nginx" >&2
        local sudo=()
        [[ $(id -u) == 0 ]] || sudo=(sudo)
        "${sudo[@]}" apt-get update -qq >&2
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 ||
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
    fi
    command -v nginx || echo /usr/sbin/nginx
}
