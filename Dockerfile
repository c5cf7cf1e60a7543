# Build stage: install everything, generate proto types, compile.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY scripts ./scripts
COPY proto ./proto
COPY src ./src
COPY bin ./bin
COPY examples ./examples
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies, compiled code, the protos it loads.
FROM node:24-bookworm-slim
# The release, as package.json states it (a test keeps the two equal).
LABEL org.opencontainers.image.title="istiod-lite" \
      org.opencontainers.image.version="0.2.0" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production
# Responses are copied into frame buffers that live until V8 collects them;
# with glibc's default (rising) mmap threshold they come from the main heap,
# which keeps its high-water mark after a burst of first syncs. Frames of
# 32 KiB or more get their own mapping and go back to the kernel when freed.
# docs/performance.md (W4) has the figures; bench/malloc-env.ts uses the same.
ENV MALLOC_MMAP_THRESHOLD_=32768
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/bin ./bin
COPY --from=build /app/proto ./proto
COPY --from=build /app/examples ./examples
USER 1337:1337
EXPOSE 15010 15012 15014
ENTRYPOINT ["node", "bin/istiod-lite.js"]
CMD ["serve"]
