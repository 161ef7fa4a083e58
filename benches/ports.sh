# Loopback ports for the bench scripts (sourced by load.sh and icount.sh; each defines `die`).

TAKEN=" "
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# pick_port VAR: a free loopback port below Linux's ephemeral range (no clash with wrk's
# own outgoing connections), never handed out twice by this script.
pick_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 12000))
        [[ $TAKEN == *" $p "* ]] && continue
        port_in_use "$p" && continue
        TAKEN+="$p "
        printf -v "$1" '%s' "$p"
        return 0
    done
    die "no free loopback port found"
}
