#!/usr/bin/env bash
# Generates the sample HLS content served by the local edge under /media/<videoId>/:
#   local/content/media/demo-1/  clear H.264/AAC HLS (~6 s, 2 s MPEG-TS segments, *.m2ts)
#   local/content/media/demo-2/  the same, AES-128 encrypted, key in key.bin next to the playlist
#   local/content/cmaf/demo-3/   clear H.264 CMAF (fMP4, video only, 2 s fragments): the source that
#                                local/drm/ encrypts with CENC and a fresh key on first `npm start`; it
#                                is never served as it is (only its encrypted copy, under /drm/demo-3/)
#   local/content/live/live-1/   clear H.264 HLS (16 s, 2 s MPEG-TS segments, video only): the source the
#                                local live channel (local/live/) plays out as a sliding live window, in a loop
#   local/content/catalog.json   what the player lists
# The output is committed, so nothing at run time needs ffmpeg. Run it again only to change the content:
#   scripts/make-sample-content.sh            (ffmpeg with libx264, drawtext optional: the one the tests
#                                              use, from test/support/ffmpeg-binary.ts: FFMPEG_PATH, the
#                                              system's, else the static build npm installed)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
content="$repo/local/content"
media="$content/media"

# Demo content key for demo-2. It protects nothing real (synthetic test patterns) and is committed
# on purpose, so the content is reproducible and the tests can decrypt it; a real deployment gets
# its keys from its packager (MediaPackage/SPEKE), never from this repository.
DEMO2_KEY_HEX="5eb2c3a0f1d94e67a8b7c6d5e4f30211"

DURATION=6
SEGMENT_SECONDS=2
FPS=24
SIZE=426x240
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
# MPEG-TS segments, but not named *.ts: tsconfig includes local/, and tsc would read them as TypeScript.
SEGMENT_EXT="${SEGMENT_EXT:-m2ts}"

ffmpeg_bin="$(cd "$repo" && npx --no-install tsx test/support/ffmpeg-binary.ts)"
ffmpeg() { "$ffmpeg_bin" "$@"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Burned-in titles need drawtext (libfreetype) and a font; without them each video keeps its own
# test pattern, which is enough to tell them apart.
# (Filters listed into a variable first: grep -q closing the pipe early would fail under pipefail.)
filters="$(ffmpeg -hide_banner -filters 2>/dev/null)"
has_drawtext() {
  [[ -f "$FONT" && "$filters" == *" drawtext "* ]]
}

title_filter() { # $1: title line
  if has_drawtext; then
    printf "drawtext=fontfile=%s:text='%s':fontsize=22:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=6:x=(w-tw)/2:y=h-th-40," "$FONT" "$1"
    printf "drawtext=fontfile=%s:text='%%{pts\\\\:hms}':fontsize=16:fontcolor=yellow:box=1:boxcolor=black@0.6:boxborderw=4:x=(w-tw)/2:y=h-th-12" "$FONT"
  else
    printf "null"
  fi
}

# $1: videoId, $2: lavfi video source, $3: tone frequency (Hz), $4: title, $5...: extra hls options
encode() {
  local id="$1" source="$2" tone="$3" title="$4"
  shift 4
  local out="$media/$id"
  rm -rf "$out"
  mkdir -p "$out"
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "$source=size=$SIZE:rate=$FPS:duration=$DURATION" \
    -f lavfi -i "sine=frequency=$tone:beep_factor=4:sample_rate=44100:duration=$DURATION" \
    -vf "$(title_filter "$title")" \
    -map 0:v -map 1:a -map_metadata -1 \
    -c:v libx264 -profile:v baseline -level 3.0 -preset veryfast -pix_fmt yuv420p -threads 1 \
    -b:v 180k -maxrate 220k -bufsize 440k \
    -g $((FPS * SEGMENT_SECONDS)) -keyint_min $((FPS * SEGMENT_SECONDS)) -sc_threshold 0 \
    -c:a aac -b:a 48k -ac 1 \
    -flags:v +bitexact -flags:a +bitexact -fflags +bitexact \
    -f hls -hls_time "$SEGMENT_SECONDS" -hls_playlist_type vod -hls_flags independent_segments \
    -hls_segment_type mpegts -hls_segment_filename "$out/segment_%03d.$SEGMENT_EXT" \
    "$@" \
    "$out/index.m3u8"
}

# $1: videoId, $2: lavfi video source + filters, $3: title. Video only: one track keeps the CENC
# encryption (one key, one track per fragment) simple, and a DRM demo needs no audio.
encode_cmaf() {
  local id="$1" source="$2" title="$3"
  local out="$content/cmaf/$id"
  rm -rf "$out"
  mkdir -p "$out"
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "$source" \
    -vf "$(title_filter "$title")" \
    -map 0:v -map_metadata -1 \
    -c:v libx264 -profile:v main -level 3.0 -preset veryfast -pix_fmt yuv420p -threads 1 \
    -b:v 180k -maxrate 220k -bufsize 440k \
    -g $((FPS * SEGMENT_SECONDS)) -keyint_min $((FPS * SEGMENT_SECONDS)) -sc_threshold 0 \
    -flags:v +bitexact -fflags +bitexact \
    -f hls -hls_time "$SEGMENT_SECONDS" -hls_playlist_type vod -hls_flags independent_segments \
    -hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4 -hls_segment_filename "$out/segment_%03d.m4s" \
    "$out/index.m3u8"
}

encode demo-1 testsrc2 440 "streamgate demo-1"

# Key info file: line 1 is the URI written into the playlist (relative, so the key request also
# falls under /media/demo-2/ and needs the same cookies), line 2 where ffmpeg reads the key.
# No IV line: ffmpeg picks the IV and writes it into the #EXT-X-KEY tag (IV=0x...).
mkdir -p "$work/demo-2"
# shellcheck disable=SC2059 # the format is the key as \xHH escapes, on purpose
printf "$(sed 's/../\\x&/g' <<<"$DEMO2_KEY_HEX")" >"$work/demo-2/key.bin"
printf 'key.bin\n%s\n' "$work/demo-2/key.bin" >"$work/demo-2/keyinfo"
encode demo-2 testsrc 660 "streamgate demo-2 (AES-128)" -hls_key_info_file "$work/demo-2/keyinfo"
cp "$work/demo-2/key.bin" "$media/demo-2/key.bin"

encode_cmaf demo-3 "smptehdbars=size=$SIZE:rate=$FPS:duration=$DURATION,hue=H=2*PI*t/$DURATION" \
  "streamgate demo-3 (CENC)"

# The live channel's loop: video only (a loop point is an #EXT-X-DISCONTINUITY, and one track keeps
# every player's timeline simple there), a keyframe at each 2 s boundary, the clock burned in.
encode_live() {
  local id="$1" source="$2" title="$3"
  local out="$content/live/$id"
  rm -rf "$out"
  mkdir -p "$out"
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "$source" \
    -vf "$(title_filter "$title")" \
    -map 0:v -map_metadata -1 \
    -c:v libx264 -profile:v baseline -level 3.0 -preset veryfast -pix_fmt yuv420p -threads 1 \
    -b:v 120k -maxrate 160k -bufsize 320k \
    -g $((FPS * SEGMENT_SECONDS)) -keyint_min $((FPS * SEGMENT_SECONDS)) -sc_threshold 0 \
    -flags:v +bitexact -fflags +bitexact \
    -f hls -hls_time "$SEGMENT_SECONDS" -hls_playlist_type vod -hls_flags independent_segments \
    -hls_segment_type mpegts -hls_segment_filename "$out/source_%03d.$SEGMENT_EXT" \
    "$out/index.m3u8"
}

encode_live live-1 "testsrc2=size=320x180:rate=$FPS:duration=16,hue=H=2*PI*t/16" "streamgate live-1 (loop)"

cat >"$content/catalog.json" <<'JSON'
[
  { "id": "demo-1", "title": "Demo 1: test pattern, clear HLS", "encrypted": false },
  { "id": "demo-2", "title": "Demo 2: test pattern, AES-128 encrypted HLS", "encrypted": true },
  { "id": "demo-3", "title": "Demo 3: colour bars, CENC (ClearKey DRM) CMAF", "encrypted": true, "drm": "clearkey" },
  { "id": "live-1", "title": "Live 1: test pattern, clear live HLS (a loop played out as live)", "encrypted": false, "live": true }
]
JSON

du -ab "$media" "$content/cmaf" "$content/live" | sort -k2
