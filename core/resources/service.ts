// Service and Endpoints, with Kubernetes' Service defaults (SetDefaults_Service):
// type ClusterIP, port protocol TCP, targetPort = port, sessionAffinity None,
// traffic policies Cluster.

import { z } from "zod";
import { Protocol } from "./container.ts";
import { IntOrString, ObjectMeta, ObjectReference, StringMap, orEmpty, typeMeta } from "./meta.ts";

export const SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"] as const;

export const ServicePort = z
  .looseObject({
    name: z.string().optional(),
    protocol: Protocol.default("TCP"),
    appProtocol: z.string().optional(),
    port: z.int().default(0),
    targetPort: IntOrString.optional(),
    nodePort: z.int().optional(),
  })
  .overwrite((p) => {
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
    return p;
  });
export type ServicePort = z.infer<typeof ServicePort>;

export const ServiceSpec = z
  .looseObject({
    type: z.enum(SERVICE_TYPES).default("ClusterIP"),
    ports: z.array(ServicePort).optional(),
    selector: StringMap.optional(),
    clusterIP: z.string().optional(),
    clusterIPs: z.array(z.string()).optional(),
    externalIPs: z.array(z.string()).optional(),
    externalName: z.string().optional(),
    externalTrafficPolicy: z.enum(["Cluster", "Local"]).optional(),
    internalTrafficPolicy: z.enum(["Cluster", "Local"]).optional(),
    healthCheckNodePort: z.int().optional(),
    sessionAffinity: z.enum(["None", "ClientIP"]).default("None"),
    sessionAffinityConfig: z.looseObject({}).optional(),
    loadBalancerIP: z.string().optional(),
    loadBalancerSourceRanges: z.array(z.string()).optional(),
    loadBalancerClass: z.string().optional(),
    allocateLoadBalancerNodePorts: z.boolean().optional(),
    publishNotReadyAddresses: z.boolean().optional(),
    ipFamilies: z.array(z.enum(["IPv4", "IPv6"])).optional(),
    ipFamilyPolicy: z.enum(["SingleStack", "PreferDualStack", "RequireDualStack"]).optional(),
  })
  .overwrite((spec) => {
    if (spec.type === "NodePort" || spec.type === "LoadBalancer") spec.externalTrafficPolicy ??= "Cluster";
    if (spec.type !== "ExternalName") spec.internalTrafficPolicy ??= "Cluster";
    if (spec.type === "LoadBalancer") spec.allocateLoadBalancerNodePorts ??= true;
    return spec;
  });
export type ServiceSpec = z.infer<typeof ServiceSpec>;

export const LoadBalancerIngress = z.looseObject({
  ip: z.string().optional(),
  hostname: z.string().optional(),
  ports: z.array(z.looseObject({ port: z.int(), protocol: Protocol.default("TCP"), error: z.string().optional() })).optional(),
});

export const ServiceStatus = z.looseObject({
  loadBalancer: z.looseObject({ ingress: z.array(LoadBalancerIngress).optional() }).prefault({}),
  conditions: z.array(z.looseObject({})).optional(),
});

export const Service = z.looseObject({
  ...typeMeta("Service"),
  metadata: orEmpty(ObjectMeta),
  spec: ServiceSpec.prefault({}),
  status: ServiceStatus.prefault({}),
});
export type Service = z.infer<typeof Service>;

export const EndpointAddress = z.looseObject({
  ip: z.string(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  targetRef: ObjectReference.optional(),
});
export type EndpointAddress = z.infer<typeof EndpointAddress>;

export const EndpointPort = z.looseObject({
  name: z.string().optional(),
  port: z.int(),
  protocol: Protocol.default("TCP"),
  appProtocol: z.string().optional(),
});
export type EndpointPort = z.infer<typeof EndpointPort>;

export const EndpointSubset = z.looseObject({
  addresses: z.array(EndpointAddress).optional(),
  notReadyAddresses: z.array(EndpointAddress).optional(),
  ports: z.array(EndpointPort).optional(),
});
export type EndpointSubset = z.infer<typeof EndpointSubset>;

export const Endpoints = z.looseObject({
  ...typeMeta("Endpoints"),
  metadata: orEmpty(ObjectMeta),
  subsets: z.array(EndpointSubset).optional(),
});
export type Endpoints = z.infer<typeof Endpoints>;
